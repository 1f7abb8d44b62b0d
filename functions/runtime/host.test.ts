import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEvent, EVENT_TYPES, type CatalogEvent } from '../../lib/events/index.js';
import { PermanentError, RateLimitedError, TransientError } from './errors.js';
import { createFunctionApp, functionHost } from './host.js';
import { serveFunction, type ServedFunction } from './serve.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from './types.js';
import {
  binaryHeaders,
  captureLogs,
  rawRequest,
  startSink,
  TRACE_ID,
  TRACEPARENT,
  type LogLine,
} from './__fixtures__/helpers.js';

const REQ = EVENT_TYPES.configScanRequested;
const DONE = EVENT_TYPES.configScanCompleted;

type Handler = (e: IncomingEvent, ctx: FunctionContext) => Promise<CatalogEvent | undefined>;

function def(
  handle: Handler,
  extra: Partial<FunctionDefinition> = {},
): FunctionDefinition & { calls: IncomingEvent[] } {
  const calls: IncomingEvent[] = [];
  return {
    name: 'scan',
    consumes: [REQ, EVENT_TYPES.hostReported],
    calls,
    handle: async (e, ctx) => {
      calls.push(e);
      return handle(e, ctx);
    },
    ...extra,
  };
}

const noop: Handler = async () => undefined;
const completed = (ctx: FunctionContext): CatalogEvent =>
  buildEvent(
    DONE,
    { scanId: 's1', frameworks: [], counts: { resources: 1, passed: 1, failed: 0, skipped: 0, excluded: 0 } },
    { source: ctx.source },
  );

/** POSTs events in batch mode (application/cloudevents-batch+json). */
function postBatch(url: string, events: Record<string, unknown>[]): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
}

/** n valid request events with ids b1..bn. */
const batchOf = (n: number): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => ({ specversion: '1.0', id: `b${i + 1}`, source: '/s', type: REQ, data: {} }));

let served: ServedFunction | undefined;
let logs: LogLine[];
beforeEach(() => {
  logs = captureLogs();
});
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function serve(d: FunctionDefinition, config: Record<string, unknown> = {}): Promise<string> {
  served = await serveFunction(d, {
    port: 0,
    host: '127.0.0.1',
    env: {},
    config: { KSCAPE_SHUTDOWN_TIMEOUT: 2000, ...config },
  });
  return served.url;
}

async function problemOf(
  res: Response,
): Promise<{
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as never;
}

describe('decoding', () => {
  it('accepts a binary-mode event, validates data and applies schema defaults', async () => {
    const d = def(noop);
    const url = await serve(d);
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(REQ, {
        'ce-subject': 'caf%C3%A9',
        'ce-partitionkey': 'k1',
        traceparent: 'ignored-http-header',
      }),
      body: JSON.stringify({ frameworks: ['NSA'] }),
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(d.calls).toHaveLength(1);
    const e = d.calls[0]!;
    expect(e).toMatchObject({ id: 'evt-1', source: '/test/producer', type: REQ, subject: 'café' });
    expect(e.data).toEqual({ frameworks: ['NSA'], scope: {} });
    expect(e.extensions).toEqual({ partitionkey: 'k1' });
  });

  it('accepts a structured-mode event', async () => {
    const d = def(noop);
    const url = await serve(d);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'x1',
        source: '/s',
        type: REQ,
        time: '2026-01-01T00:00:00Z',
        traceparent: TRACEPARENT,
        data: { controls: ['C-0017'] },
      }),
    });
    expect(res.status).toBe(202);
    expect(d.calls[0]).toMatchObject({
      id: 'x1',
      source: '/s',
      time: '2026-01-01T00:00:00Z',
      data: { controls: ['C-0017'], scope: {} },
    });
    expect(d.calls[0]!.extensions.traceparent).toBe(TRACEPARENT);
  });

  it('handles every event of a batch and answers 202', async () => {
    const d = def(noop);
    const url = await serve(d);
    const res = await postBatch(url, batchOf(3));
    expect(res.status).toBe(202);
    expect(d.calls.map((c) => c.id)).toEqual(['b1', 'b2', 'b3']);
  });

  it('rejects a whole batch with 400 when one member is invalid, calling no handler', async () => {
    const d = def(noop);
    const url = await serve(d);
    const events = [
      { specversion: '1.0', id: 'ok', source: '/s', type: REQ, data: {} },
      { specversion: '1.0', id: 'bad', source: '/s', type: REQ, data: { controls: ['nope'] } },
    ];
    const res = await postBatch(url, events);
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.errors?.[0]?.path).toBe('[1].data.controls.0');
    expect(d.calls).toHaveLength(0);
  });

  it('rejects malformed events with 400 problem details and never calls the handler', async () => {
    const d = def(noop);
    const url = await serve(d);
    const cases: { headers: Record<string, string>; body: string; expect: RegExp }[] = [
      { headers: { 'content-type': 'application/json' }, body: '{}', expect: /not a CloudEvent/ },
      { headers: binaryHeaders(REQ, { 'ce-id': '' }), body: '{}', expect: /invalid CloudEvent attributes/ },
      {
        headers: binaryHeaders(REQ, { 'ce-specversion': '0.3' }),
        body: '{}',
        expect: /invalid CloudEvent attributes/,
      },
      { headers: binaryHeaders(REQ), body: '{not json', expect: /not valid JSON/ },
      { headers: { 'content-type': 'application/cloudevents+json' }, body: '[1]', expect: /JSON object/ },
      {
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ specversion: '1.0', id: 'a', type: REQ }),
        expect: /invalid CloudEvent/,
      },
    ];
    for (const c of cases) {
      const res = await fetch(url, { method: 'POST', headers: c.headers, body: c.body });
      expect(res.status, c.body).toBe(400);
      const p = await problemOf(res);
      expect(p).toMatchObject({ type: 'urn:kscape:problem:invalid-event', status: 400 });
      expect(p.detail).toMatch(c.expect);
    }
    expect(d.calls).toHaveLength(0);
  });

  it('rejects unknown and unconsumed types with 400', async () => {
    const d = def(noop);
    const url = await serve(d);
    for (const type of ['com.example.unknown', EVENT_TYPES.ping]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: binaryHeaders(type),
        body: JSON.stringify({ job: 'tick' }),
      });
      expect(res.status).toBe(400);
      expect((await problemOf(res)).type).toBe('urn:kscape:problem:unsupported-type');
    }
    expect(d.calls).toHaveLength(0);
  });

  it('rejects schema-invalid data with 400 and an errors list', async () => {
    const d = def(noop);
    const url = await serve(d);
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(REQ),
      body: JSON.stringify({ controls: ['C-17'], frameworks: 'NSA' }),
    });
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.type).toBe('urn:kscape:problem:invalid-data');
    expect(p.errors?.map((e) => e.path).sort()).toEqual(['data.controls.0', 'data.frameworks']);
    expect(d.calls).toHaveLength(0);
  });

  it('rejects non-JSON data for catalog types', async () => {
    const d = def(noop);
    const url = await serve(d);
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(REQ, { 'content-type': 'text/plain' }),
      body: 'hello',
    });
    expect(res.status).toBe(400);
    expect(d.calls).toHaveLength(0);
  });
});

describe('body limits', () => {
  it('answers 413 from Content-Length without reading the body', async () => {
    const d = def(noop);
    await serve(d, { KSCAPE_MAX_BODY_BYTES: 1024 });
    const head = Object.entries(binaryHeaders(REQ))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Announce 10 MB but send nothing: a server that waited for the body would never answer.
    const r = await rawRequest(
      served!.port,
      `POST / HTTP/1.1\r\nhost: x\r\n${head}content-length: 10000000\r\n\r\n`,
      [],
      false,
    );
    expect(r.status).toBe(413);
    expect(r.raw).toMatch(/connection: close/i);
    expect(r.raw).toMatch(/payload-too-large/);
    expect(d.calls).toHaveLength(0);
  });

  it('answers 413 while streaming a chunked body past the limit and stops reading', async () => {
    const d = def(noop);
    await serve(d, { KSCAPE_MAX_BODY_BYTES: 64 * 1024 });
    const head = Object.entries(binaryHeaders(REQ))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const chunks = Array.from({ length: 4096 }, () => chunk); // 64 MiB offered
    const r = await rawRequest(
      served!.port,
      `POST / HTTP/1.1\r\nhost: x\r\n${head}transfer-encoding: chunked\r\n\r\n`,
      chunks,
      true,
    );
    expect(r.status).toBe(413);
    // The client was cut off long before it could send everything.
    expect(r.bytesSent).toBeLessThan(chunks.length * chunk.length);
    expect(d.calls).toHaveLength(0);
  });

  it('enforces the limit through app.fetch too', async () => {
    const d = def(noop);
    const app = createFunctionApp(d, { env: {}, config: { KSCAPE_MAX_BODY_BYTES: 100 } });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(50));
        c.close();
      },
    });
    const res = await app.fetch(
      new Request('http://x/', {
        method: 'POST',
        headers: binaryHeaders(REQ),
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    const ok = await app.fetch(
      new Request('http://x/', { method: 'POST', headers: binaryHeaders(REQ), body: '{}' }),
    );
    expect(ok.status).toBe(202);
    expect(d.calls).toHaveLength(1);
  });
});

describe('replies and tracing', () => {
  it('answers 200 with the reply in binary mode, continuing the trace', async () => {
    const d = def(async (e, ctx) => {
      expect(ctx.traceparent).toBe(TRACEPARENT);
      return buildEvent(
        DONE,
        {
          scanId: 's1',
          frameworks: [],
          counts: { resources: 1, passed: 1, failed: 0, skipped: 0, excluded: 0 },
        },
        { source: ctx.source, causedBy: e.extensions },
      );
    });
    const url = await serve(d);
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(REQ, { 'ce-traceparent': TRACEPARENT }),
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ce-type')).toBe(DONE);
    expect(res.headers.get('ce-source')).toBe('/kscape/scan');
    expect(res.headers.get('ce-specversion')).toBe('1.0');
    expect(res.headers.get('ce-id')).toBeTruthy();
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('ce-traceparent')?.split('-')[1]).toBe(TRACE_ID);
    expect(await res.json()).toMatchObject({ scanId: 's1', results: [] });
  });

  it('puts the trace context on a reply even when the handler did not', async () => {
    const url = await serve(def(async (_e, ctx) => completed(ctx)));
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(REQ, { 'ce-traceparent': TRACEPARENT }),
      body: '{}',
    });
    expect(res.headers.get('ce-traceparent')?.split('-')[1]).toBe(TRACE_ID);
  });

  it('refuses a reply of a type the function consumes (it would loop through the broker)', async () => {
    const url = await serve(def(async (_e, ctx) => buildEvent(REQ, {}, { source: ctx.source })));
    const res = await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' });
    expect(res.status).toBe(500);
  });

  it('logs one line per event with id, type, source and trace id, and none for probes', async () => {
    const url = await serve(def(noop));
    await fetch(`${url}/health/readiness`);
    await fetch(`${url}/health/liveness`);
    const before = logs.length;
    await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(REQ, { 'ce-traceparent': TRACEPARENT, 'ce-id': 'log-1' }),
      body: '{}',
    });
    const lines = logs.slice(before).filter((l) => l.msg === 'event handled');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      eventId: 'log-1',
      eventType: REQ,
      source: '/test/producer',
      traceId: TRACE_ID,
      status: 202,
      function: 'scan',
    });
    expect(logs.slice(0, before).some((l) => String(l.msg).includes('health'))).toBe(false);
    expect(logs.filter((l) => /readiness|liveness/.test(JSON.stringify(l)))).toEqual([]);
  });
});

describe('error mapping', () => {
  const cases: [string, number, () => Error, string][] = [
    ['PermanentError', 400, () => new PermanentError('namespace gone'), 'urn:kscape:problem:rejected'],
    ['RateLimitedError', 429, () => new RateLimitedError('slow down', 7), 'urn:kscape:problem:rate-limited'],
    ['TransientError', 503, () => new TransientError('db down'), 'urn:kscape:problem:unavailable'],
    ['Error', 500, () => new Error('secret-internal-detail'), 'urn:kscape:problem:internal'],
    ['non-Error throw', 500, () => 'a string' as unknown as Error, 'urn:kscape:problem:internal'],
  ];
  it.each(cases)('%s → %i', async (_n, status, make, type) => {
    const url = await serve(
      def(async () => {
        throw make();
      }),
    );
    const res = await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' });
    expect(res.status).toBe(status);
    const text = await res.text();
    const p = JSON.parse(text) as { type: string };
    expect(p.type).toBe(type);
    if (status === 429) expect(res.headers.get('retry-after')).toBe('7');
    if (status === 500) {
      expect(text).not.toMatch(/secret-internal-detail|\bat .*\.ts:\d+|stack/);
      const line = logs.find((l) => l.msg === 'event handler failed');
      expect(line).toBeDefined();
    }
  });

  it('maps a synchronous throw like an async one', async () => {
    const d: FunctionDefinition = {
      name: 'scan',
      consumes: [REQ],
      handle: () => {
        throw new PermanentError('sync');
      },
    };
    const url = await serve(d);
    expect((await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' })).status).toBe(400);
  });

  it('answers 503 and aborts ctx.signal when the handler overruns its deadline', async () => {
    let aborted: unknown;
    const url = await serve(
      def(
        (_e, ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = ctx.signal.reason;
              setTimeout(() => resolve(undefined), 20);
            });
          }),
      ),
      { KSCAPE_HANDLER_TIMEOUT: 50 },
    );
    const res = await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' });
    expect(res.status).toBe(503);
    expect((await problemOf(res)).type).toBe('urn:kscape:problem:timeout');
    expect(aborted).toBeInstanceOf(Error);
  });
});

describe('routes', () => {
  it('404 and 405 with problem bodies', async () => {
    const url = await serve(def(noop));
    const nf = await fetch(`${url}/nope`);
    expect(nf.status).toBe(404);
    expect((await problemOf(nf)).type).toBe('urn:kscape:problem:not-found');
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await problemOf(get);
    const del = await fetch(`${url}/health/liveness`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('readiness follows def.ready() and drain; liveness stays up', async () => {
    let ready = false;
    const d = def(noop, {
      ready: async () => {
        if (!ready) throw new Error('db not reachable');
      },
    });
    const app = createFunctionApp(d, { env: {} });
    expect((await app.fetch(new Request('http://x/health/readiness'))).status).toBe(503);
    ready = true;
    expect((await app.fetch(new Request('http://x/health/readiness'))).status).toBe(200);
    functionHost(app).drain();
    const r = await app.fetch(new Request('http://x/health/readiness'));
    expect(r.status).toBe(503);
    expect(((await r.json()) as { detail: string }).detail).toBe('shutting down');
    expect((await app.fetch(new Request('http://x/health/liveness'))).status).toBe(200);
  });

  it('details returned by def.ready() are the readiness body', async () => {
    const app = createFunctionApp(
      def(noop, { ready: async () => ({ vulnerabilityDb: { ageSeconds: 42 } }) }),
      { env: {} },
    );
    const r = await app.fetch(new Request('http://x/health/readiness'));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', vulnerabilityDb: { ageSeconds: 42 } });
  });
});

describe('emit', () => {
  it('publishes to K_SINK in binary mode with the trace context and K_CE_OVERRIDES', async () => {
    const sink = await startSink();
    try {
      const url = await serve(
        def(async (_e, ctx) => {
          await ctx.emit(
            buildEvent(EVENT_TYPES.vulnScanRequested, { image: 'nginx:1.27' }, { source: ctx.source }),
          );
          await ctx.emit(
            buildEvent(EVENT_TYPES.vulnScanRequested, { image: 'redis:7' }, { source: ctx.source }),
          );
          return undefined;
        }),
        { K_SINK: sink.url, K_CE_OVERRIDES: { cluster: 'dev' } },
      );
      const res = await fetch(url, {
        method: 'POST',
        headers: binaryHeaders(REQ, { 'ce-traceparent': TRACEPARENT }),
        body: '{}',
      });
      expect(res.status).toBe(202);
      expect(sink.received).toHaveLength(2);
      const first = sink.received[0]!;
      expect(first.headers['ce-type']).toBe(EVENT_TYPES.vulnScanRequested);
      expect(first.headers['ce-source']).toBe('/kscape/scan');
      expect(first.headers['ce-cluster']).toBe('dev');
      expect(String(first.headers['ce-traceparent']).split('-')[1]).toBe(TRACE_ID);
      expect(JSON.parse(first.body)).toMatchObject({ image: 'nginx:1.27', workloads: [] });
    } finally {
      await sink.close();
    }
  });

  it('maps a failing sink to 503 so the triggering event is retried', async () => {
    const sink = await startSink(() => 500);
    try {
      const url = await serve(
        def(async (_e, ctx) => {
          await ctx.emit(
            buildEvent(EVENT_TYPES.vulnScanRequested, { image: 'nginx' }, { source: ctx.source }),
          );
          return undefined;
        }),
        { K_SINK: sink.url },
      );
      const res = await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' });
      expect(res.status).toBe(503);
    } finally {
      await sink.close();
    }
  });

  it('maps an unreachable sink to 503', async () => {
    const sink = await startSink();
    const deadUrl = sink.url;
    await sink.close();
    const url = await serve(
      def(async (_e, ctx) => {
        await ctx.emit(buildEvent(EVENT_TYPES.vulnScanRequested, { image: 'nginx' }, { source: ctx.source }));
        return undefined;
      }),
      { K_SINK: deadUrl },
    );
    expect((await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' })).status).toBe(503);
  });

  it('fails clearly when K_SINK is not set, and says so at startup', async () => {
    const url = await serve(
      def(async (_e, ctx) => {
        await ctx.emit(buildEvent(EVENT_TYPES.vulnScanRequested, { image: 'nginx' }, { source: ctx.source }));
        return undefined;
      }),
    );
    expect(logs.some((l) => /K_SINK is not set/.test(String(l.msg)))).toBe(true);
    const res = await fetch(url, { method: 'POST', headers: binaryHeaders(REQ), body: '{}' });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(/K_SINK is not set/);
  });

  it('publishes batch replies through K_SINK', async () => {
    const sink = await startSink();
    try {
      const url = await serve(
        def(async (_e, ctx) => completed(ctx)),
        { K_SINK: sink.url },
      );
      const res = await postBatch(url, batchOf(2));
      expect(res.status).toBe(202);
      expect(sink.received.map((r) => r.headers['ce-type'])).toEqual([DONE, DONE]);
    } finally {
      await sink.close();
    }
  });
});
