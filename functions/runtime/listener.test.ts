import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildEvent, EVENT_TYPES } from '../../lib/events/index.js';
import { PermanentError, RateLimitedError, TransientError } from './errors.js';
import { createFunctionApp, functionHost } from './host.js';
import { functionRequestListener, isBinaryMode } from './listener.js';
import type { FunctionDefinition } from './types.js';
import { captureLogs, rawRequest, TRACEPARENT } from './__fixtures__/helpers.js';

const REQ = EVENT_TYPES.configScanRequested;
const DONE = EVENT_TYPES.configScanCompleted;

/** The handler's behaviour is chosen by the event id, so one table drives every outcome. */
function definition(): FunctionDefinition & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'scan',
    consumes: [REQ, EVENT_TYPES.hostReported],
    calls,
    handle: async (e, ctx) => {
      calls.push(e.id);
      switch (e.id) {
        case 'reply':
          return buildEvent(DONE, { scanId: 's1', frameworks: [], counts: { resources: 1, passed: 1, failed: 0, skipped: 0, excluded: 0 } }, { source: ctx.source, id: 'reply-1', time: '2026-11-27T00:00:00Z' });
        case 'permanent':
          throw new PermanentError('no such scope');
        case 'limited':
          throw new RateLimitedError('slow down', 7.2);
        case 'transient':
          throw new TransientError('database down');
        case 'bug':
          throw new Error('secret internal detail');
        default:
          return undefined;
      }
    },
  };
}

interface Started {
  app: ReturnType<typeof createFunctionApp>;
  port: number;
  server: Server;
  fetches: () => number;
  calls: string[];
}
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function start(fastPath: boolean): Promise<Started> {
  const def = definition();
  const app = createFunctionApp(def, { env: {}, config: { KSCAPE_MAX_BODY_BYTES: 4096 } });
  // Counts requests that reach hono: the fast path must not.
  const fetch = vi.spyOn(app, 'fetch');
  const server = createServer(functionRequestListener(app, { fastPath }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { app, port: (server.address() as AddressInfo).port, server, fetches: () => fetch.mock.calls.length, calls: def.calls };
}

const BODY = JSON.stringify({ frameworks: ['NSA'], reason: 'parity' });

function head(headers: Record<string, string>, body: string, extra = ''): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `POST / HTTP/1.1\r\nhost: x\r\n${lines.join('')}content-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`;
}

function ce(id: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/test/producer',
    'ce-type': REQ,
    'ce-traceparent': TRACEPARENT,
    ...extra,
  };
}

const without = (h: Record<string, string>, k: string): Record<string, string> => {
  const c = { ...h };
  delete c[k];
  return c;
};

/** [name, request head + body, expected status]: binary-mode shapes, valid and invalid. */
const CASES: [string, string, number][] = [
  ['valid, no reply', head(ce('ok'), BODY) + BODY, 202],
  ['valid, reply in binary mode', head(ce('reply'), BODY) + BODY, 200],
  ['content type with parameters, mixed-case ce- header names', head({ ...without(ce('ok-2'), 'ce-id'), 'CE-Id': 'ok-2', 'content-type': 'application/json; charset=utf-8' }, BODY) + BODY, 202],
  ['no content type (JSON assumed)', head(without(ce('ok-3'), 'content-type'), BODY) + BODY, 202],
  ['percent-encoded attribute and extensions', head(ce('ok-4', { 'ce-source': '/a%20b/%C3%A9', 'ce-knativearrivaltime': '2026-11-26T23:00:00Z', 'ce-partitionkey': 'p1' }), BODY) + BODY, 202],
  ['duplicate extension header', head(ce('ok-5'), BODY, 'ce-dup: a\r\nce-dup: b\r\n') + BODY, 202],
  ['missing specversion', head(without(ce('e1'), 'ce-specversion'), BODY) + BODY, 400],
  ['specversion 0.3', head(ce('e2', { 'ce-specversion': '0.3' }), BODY) + BODY, 400],
  ['missing id', head(without(ce('e3'), 'ce-id'), BODY) + BODY, 400],
  ['empty source', head(ce('e4', { 'ce-source': '' }), BODY) + BODY, 400],
  ['bad extension name', head(ce('e5', { 'ce-bad_name': 'x' }), BODY) + BODY, 400],
  ['bad time', head(ce('e6', { 'ce-time': 'yesterday' }), BODY) + BODY, 400],
  ['bad percent-encoding', head(ce('e7', { 'ce-source': '/%E0%A4%A' }), BODY) + BODY, 400],
  ['not a CloudEvent at all', head({ 'content-type': 'application/json' }, BODY) + BODY, 400],
  ['unconsumed type', head(ce('e8', { 'ce-type': 'io.kubescape.nope' }), BODY) + BODY, 400],
  ['schema-invalid data', head(ce('e9'), '{"frameworks":"NSA"}') + '{"frameworks":"NSA"}', 400],
  ['invalid JSON', head(ce('e10'), '{nope') + '{nope', 400],
  ['non-JSON data', head(ce('e11', { 'content-type': 'text/plain' }), 'hello') + 'hello', 400],
  ['empty body (no data for a type that needs it)', head(ce('e12'), ''), 400],
  ['handler: permanent error', head(ce('permanent'), BODY) + BODY, 400],
  ['handler: rate limited', head(ce('limited'), BODY) + BODY, 429],
  ['handler: transient error', head(ce('transient'), BODY) + BODY, 503],
  ['handler: unexpected error', head(ce('bug'), BODY) + BODY, 500],
  ['declared body over the limit', head(ce('big'), 'x'.repeat(5000)), 413],
];

/** The answer without what differs between any two answers of one server (the Date header). */
const normalized = (raw: string): string => raw.replace(/\r\ndate: [^\r]*/i, '');

describe('node:http fast path', () => {
  it('answers every binary-mode shape exactly like the hono route, without reaching hono', async () => {
    captureLogs();
    const fast = await start(true);
    const slow = await start(false);
    for (const [name, req, status] of CASES) {
      const a = await rawRequest(fast.port, req, [], false);
      const b = await rawRequest(slow.port, req, [], false);
      expect(a.status, name).toBe(status);
      expect(normalized(a.raw), name).toBe(normalized(b.raw));
      expect(a.raw, name).not.toMatch(/secret internal detail|at .*\.ts:\d+/);
    }
    expect(fast.fetches()).toBe(0);
    expect(slow.fetches()).toBe(CASES.length);
    // The handler ran for the same events, in the same order.
    expect(fast.calls).toEqual(slow.calls);
    expect(fast.calls).toContain('reply');
  });

  it('while draining, answers with Connection: close like the hono route', async () => {
    captureLogs();
    const fast = await start(true);
    const slow = await start(false);
    for (const s of [fast, slow]) functionHost(s.app).drain();
    for (const [name, req, status] of CASES.filter(([n]) => /no reply|reply in binary|rate limited|schema-invalid/.test(n))) {
      const a = await rawRequest(fast.port, req, [], false);
      const b = await rawRequest(slow.port, req, [], false);
      expect(a.status, name).toBe(status);
      expect(a.raw, name).toMatch(/\r\nconnection: close\r\n/i);
      expect(normalized(a.raw), name).toBe(normalized(b.raw));
    }
    expect(fast.fetches()).toBe(0);
  });

  it('answers a chunked binary-mode event like the hono route', async () => {
    captureLogs();
    const fast = await start(true);
    const slow = await start(false);
    const h = Object.entries(ce('chunked'))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const req = `POST / HTTP/1.1\r\nhost: x\r\n${h}transfer-encoding: chunked\r\n\r\n`;
    const chunks = [Buffer.from(BODY.slice(0, 10)), Buffer.from(BODY.slice(10))];
    const a = await rawRequest(fast.port, req, chunks, true);
    const b = await rawRequest(slow.port, req, chunks, true);
    expect(a.status).toBe(202);
    expect(normalized(a.raw)).toBe(normalized(b.raw));
    expect(fast.fetches()).toBe(0);
  });

  it('leaves structured and batch mode, probes and other routes to hono', async () => {
    captureLogs();
    const fast = await start(true);
    const structured = JSON.stringify({ specversion: '1.0', id: 's1', source: '/p', type: REQ, data: { frameworks: ['NSA'] } });
    const r1 = await rawRequest(fast.port, `POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/cloudevents+json\r\ncontent-length: ${structured.length}\r\n\r\n${structured}`, [], false);
    expect(r1.status).toBe(202);
    const r2 = await rawRequest(fast.port, `GET /health/liveness HTTP/1.1\r\nhost: x\r\n\r\n`, [], false);
    expect(r2.status).toBe(200);
    const r3 = await rawRequest(fast.port, `POST /other HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, [], false);
    expect(r3.status).toBe(404);
    const r4 = await rawRequest(fast.port, `PUT / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, [], false);
    expect(r4.status).toBe(405);
    expect(fast.fetches()).toBe(4);
  });

  it('recognises binary mode by content type', () => {
    expect(isBinaryMode(undefined)).toBe(true);
    expect(isBinaryMode('application/json')).toBe(true);
    expect(isBinaryMode('text/plain')).toBe(true);
    expect(isBinaryMode('application/cloudevents+json')).toBe(false);
    expect(isBinaryMode(' Application/CloudEvents-Batch+JSON; charset=utf-8')).toBe(false);
  });
});
