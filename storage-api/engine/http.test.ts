/**
 * readBody over a real socket: the body as sent (one chunk or many), 413 for a declared or a
 * streamed body over the limit, and a request that ends normally keeps handling the events that
 * can still follow ('close', a late 'error') without effect.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from './http.js';
import { StatusError } from './status.js';

let server: Server;
let port = 0;
const outcomes: { body?: string; code?: number; lateError?: boolean }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const limit = Number(req.headers['x-limit'] ?? 1 << 20);
    void readBody(req, res, limit).then(
      (buf) => {
        const o: (typeof outcomes)[number] = { body: buf.toString('utf8') };
        outcomes.push(o);
        // Still handled after the body was read: no unhandled 'error' event, no second settle.
        o.lateError = req.emit('error', new Error('late'));
        res.writeHead(200, { 'Content-Length': String(buf.length) });
        res.end(buf);
      },
      (e: unknown) => {
        const code = e instanceof StatusError ? e.code : 500;
        outcomes.push({ code });
        res.writeHead(code);
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function post(parts: string[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('readBody', () => {
  it('returns a body sent in one piece, and the late events of a finished request change nothing', async () => {
    const text = JSON.stringify({ a: 'x'.repeat(5000) });
    const r = await post([text], { 'content-length': String(Buffer.byteLength(text)) });
    expect(r).toEqual({ status: 200, body: text });
    expect(outcomes.at(-1)).toEqual({ body: text, lateError: true });
  });

  it('joins a chunked body sent in many writes', async () => {
    const parts = Array.from({ length: 20 }, (_, i) => `part-${i}-${'y'.repeat(1000)};`);
    const r = await post(parts, { 'transfer-encoding': 'chunked' });
    expect(r).toEqual({ status: 200, body: parts.join('') });
  });

  it('refuses a declared length over the limit before reading, and a streamed body once it passes the limit', async () => {
    const declared = await post(['x'.repeat(100)], { 'content-length': '100', 'x-limit': '10' }).catch(() => ({ status: 413, body: '' }));
    expect(declared.status).toBe(413);
    const streamed = await post(Array.from({ length: 10 }, () => 'z'.repeat(1000)), { 'transfer-encoding': 'chunked', 'x-limit': '2500' }).catch(() => ({ status: 413, body: '' }));
    expect(streamed.status).toBe(413);
    expect(outcomes.slice(-2).map((o) => o.code)).toEqual([413, 413]);
  });
});
