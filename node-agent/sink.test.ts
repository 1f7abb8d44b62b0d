import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, RateLimitedError, TransientError } from '../functions/runtime/errors.js';
import { HttpSink } from './sink.js';

const event = {
  specversion: '1.0' as const,
  id: 'e-1',
  type: 'io.kubescape.host.reported',
  source: '/kscape/node-agent/n1',
  time: '2026-01-01T00:00:00.000Z',
  datacontenttype: 'application/json',
  subject: 'n1',
  data: { nodeName: 'n1', collectedAt: '2026-01-01T00:00:00.000Z', facts: {} },
};

let server: http.Server;
let base: string;
const seen: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const status = Number(req.url?.slice(1)) || 202;
      res.writeHead(status, status === 429 ? { 'retry-after': '7' } : {});
      res.end(status >= 400 ? `status ${status}` : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HttpSink', () => {
  it('posts binary-mode CloudEvents (ce-* headers, JSON body)', async () => {
    await new HttpSink({ url: `${base}/202`, timeoutMs: 5000 }).send(event, {});
    const got = seen.at(-1)!;
    expect(got.headers['ce-id']).toBe('e-1');
    expect(got.headers['ce-type']).toBe('io.kubescape.host.reported');
    expect(got.headers['ce-source']).toBe('/kscape/node-agent/n1');
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(got.body)).toEqual(event.data);
  });

  it('maps answers to the retry table: 4xx permanent, 5xx/404/409 transient, 429 rate-limited', async () => {
    const send = (status: number) =>
      new HttpSink({ url: `${base}/${status}`, timeoutMs: 5000 }).send(event, {});
    await expect(send(400)).rejects.toBeInstanceOf(PermanentError);
    await expect(send(503)).rejects.toBeInstanceOf(TransientError);
    await expect(send(404)).rejects.toBeInstanceOf(TransientError);
    await expect(send(409)).rejects.toBeInstanceOf(TransientError);
    const limited = await send(429).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterSeconds).toBe(7);
    await expect(send(400)).rejects.toThrow(/answered 400: status 400/);
  });

  it('an unreachable sink is transient; no URL is not configured', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await expect(
      new HttpSink({ url: `http://127.0.0.1:${port}/`, timeoutMs: 5000 }).send(event, {}),
    ).rejects.toBeInstanceOf(TransientError);
    const none = new HttpSink({ url: undefined, timeoutMs: 5000 });
    expect(none.configured).toBe(false);
    await expect(none.send(event, {})).rejects.toBeInstanceOf(PermanentError);
  });
});
