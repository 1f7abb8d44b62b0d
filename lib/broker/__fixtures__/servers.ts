/**
 * Test doubles that are real HTTP servers on 127.0.0.1 ephemeral ports: subscribers that record
 * what they receive and answer what the test tells them, and helpers to write manifests to a
 * temporary directory and to capture logs.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** `n` is the 0-based index of this request at this server. */
export type Responder = (req: Received, n: number) => Answer | Promise<Answer>;

export interface Subscriber {
  readonly url: string;
  readonly received: Received[];
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number): Promise<void>;
  /** Resolves with the first request (already received or future) that satisfies `pred`. */
  waitUntil(pred: (r: Received) => boolean): Promise<Received>;
  respond: Responder;
  close(): Promise<void>;
}

export async function startSubscriber(respond: Responder = () => ({ status: 202 })): Promise<Subscriber> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const predicates: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  const sub: Subscriber = {
    url: '',
    received,
    respond,
    waitFor(count) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    waitUntil(pred) {
      const hit = received.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => predicates.push({ pred, resolve }));
    },
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers,
        body: Buffer.concat(chunks),
      };
      const n = received.length;
      received.push(r);
      for (const p of predicates.filter((p) => p.pred(r))) {
        predicates.splice(predicates.indexOf(p), 1);
        p.resolve(r);
      }
      for (const w of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      void Promise.resolve(sub.respond(r, n)).then(
        (a) => {
          res.writeHead(a.status, a.headers ?? {});
          res.end(a.body ?? '');
        },
        () => {
          res.writeHead(500);
          res.end('responder failed');
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(sub, {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** A port that was free a moment ago and has nothing listening on it. */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

/** Write `files` (relative path → content) under a fresh temporary directory; returns it. */
export function writeManifests(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kscape-broker-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger writing parsed JSON lines into `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug', formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
