/** Test helpers for the function host (not part of the build: __fixtures__ is excluded). */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { setRootLogger } from '../../../lib/log/index.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** Route every log line of the process into an array (JSON objects). */
export function captureLogs(level = 'info'): LogLine[] {
  const lines: LogLine[] = [];
  setRootLogger(
    pino({ level }, {
      write(s: string) {
        lines.push(JSON.parse(s) as LogLine);
      },
    }),
  );
  return lines;
}

export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

export function binaryHeaders(type: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': extra['ce-id'] ?? 'evt-1',
    'ce-source': '/test/producer',
    'ce-type': type,
    ...extra,
  };
}

export interface Captured {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server standing in for the broker ingress (K_SINK). */
export async function startSink(status: () => number = () => 202): Promise<{ url: string; received: Captured[]; close(): Promise<void> }> {
  const received: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = status();
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Send a raw HTTP/1.1 request over a socket and return the status line and headers of the answer.
 * `bodyChunks` are written one by one (chunked encoding when `chunked`), stopping early if the
 * server answers or closes: this is how a client streaming an oversized body experiences a 413.
 */
export async function rawRequest(
  port: number,
  head: string,
  bodyChunks: Buffer[],
  chunked: boolean,
): Promise<{ status: number; raw: string; bytesSent: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let raw = '';
    let bytesSent = 0;
    let answered = false;
    let wait: NodeJS.Timeout | undefined;
    sock.on('data', (d) => {
      raw += d.toString('latin1');
      answered = true;
    });
    sock.on('error', () => undefined); // EPIPE/ECONNRESET once the server closes: expected
    sock.on('close', () => {
      clearInterval(wait);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (!m) reject(new Error(`no HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`));
      else resolve({ status: Number(m[1]), raw, bytesSent });
    });
    sock.on('connect', async () => {
      sock.write(head);
      for (const c of bodyChunks) {
        if (answered || sock.destroyed) break;
        const frame = chunked ? Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]) : c;
        const ok = sock.write(frame);
        bytesSent += c.length;
        if (!ok) await new Promise((r) => sock.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
      if (!answered && !sock.destroyed && chunked) sock.write('0\r\n\r\n');
      // Close our side once answered so 'close' fires even if the server keeps the socket.
      wait = setInterval(() => {
        if (answered && /\r\n\r\n/.test(raw)) {
          clearInterval(wait);
          setTimeout(() => sock.destroy(), 50);
        }
      }, 10);
    });
  });
}
