import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import type { CatalogEvent } from '../../lib/events/index.js';
import { generateSecret, parseSecrets, signHeaders } from '../../lib/webhooks/index.js';
import { createControlApp, type EventSink } from './app.js';
import { MemoryControlKube } from './kube.js';
import { SqlControlStore } from './store/index.js';

class RecordingSink implements EventSink {
  events: CatalogEvent[] = [];
  fail = false;
  async send(ev: CatalogEvent): Promise<void> {
    if (this.fail) throw new Error('sink down');
    this.events.push(ev);
  }
}

const SECRET = generateSecret();
const OTHER = generateSecret();
const TOKEN = 'operator-token-123';
const NOW = new Date('2026-11-27T01:00:00Z');
const nowS = Math.floor(NOW.getTime() / 1000);

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

forEachDriver('control', (driver) => {
  const tdb = withTestDatabase(driver);
  let store: SqlControlStore;
  let sink: RecordingSink;
  let kube: MemoryControlKube;
  let app: Hono;
  let seq = 0;

  beforeAll(async () => {
    store = await SqlControlStore.open(tdb.db);
  });
  beforeEach(() => {
    sink = new RecordingSink();
    kube = new MemoryControlKube();
    app = createControlApp({
      secrets: parseSecrets(`${OTHER},${SECRET}`),
      operatorToken: TOKEN,
      namespace: 'kscape',
      store,
      sink,
      kube,
      now: () => NOW,
      maxBodyBytes: 65_536,
    }) as unknown as Hono;
  });

  const signed = (
    body: string,
    o: { id?: string; ts?: number; secret?: string } = {},
  ): Record<string, string> => ({
    'content-type': 'application/json',
    ...signHeaders(o.secret ?? SECRET, o.id ?? `msg_${driver}_${++seq}_${Math.random()}`, o.ts ?? nowS, body),
  });
  const post = (body: string, headers: Record<string, string>, path = '/v1/commands'): Promise<Response> =>
    Promise.resolve(app.request(path, { method: 'POST', body, headers }));
  const expectProblem = async (res: Response, status: number, type: string): Promise<Problem> => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const p = (await res.json()) as Problem;
    expect(p.type).toBe(`urn:kscape:problem:${type}`);
    expect(p.status).toBe(status);
    expect(p.title.length).toBeGreaterThan(0);
    return p;
  };
  const getStatus = async (id: string): Promise<Record<string, unknown>> => {
    const res = await app.request(`/v1/commands/${id}`, { method: 'GET', headers: signed('') });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('accepts a signed configscan, emits configscan.requested and records it', async () => {
    const body = JSON.stringify({ command: 'configscan', frameworks: ['nsa'], namespaces: ['default'] });
    const res = await post(body, signed(body));
    expect(res.status).toBe(202);
    const out = (await res.json()) as { id: string; status: string };
    expect(out.status).toBe('accepted');
    expect(sink.events).toHaveLength(1);
    const ev = sink.events[0]!;
    expect(ev.type).toBe('io.kubescape.configscan.requested');
    expect(ev.source).toBe('/kscape/control');
    expect(ev.data).toMatchObject({
      scanId: out.id,
      frameworks: ['nsa'],
      scope: { namespaces: ['default'] },
    });
    const st = await getStatus(out.id);
    expect(st).toMatchObject({
      id: out.id,
      command: 'configscan',
      status: 'accepted',
      emittedEventIds: [ev.id],
      params: { frameworks: ['nsa'] },
    });
  });

  it('vulnscan emits one event per distinct image; vulndb-update one event', async () => {
    const body = JSON.stringify({
      command: 'vulnscan',
      images: ['nginx:1.25'],
      workloads: [
        { kind: 'Deployment', namespace: 'web', name: 'api', container: 'app', image: 'nginx:1.25' },
        { kind: 'Deployment', namespace: 'web', name: 'db', container: 'pg', image: 'postgres:16' },
      ],
    });
    expect((await post(body, signed(body))).status).toBe(202);
    expect(sink.events.map((e) => (e.data as { image: string }).image)).toEqual([
      'nginx:1.25',
      'postgres:16',
    ]);
    expect((sink.events[0]!.data as { workloads: unknown[] }).workloads).toHaveLength(1);
    const b2 = JSON.stringify({ command: 'vulndb-update' });
    expect((await post(b2, signed(b2))).status).toBe(202);
    expect(sink.events[2]!.type).toBe('io.kubescape.vulndb.update.requested');
  });

  it('set-schedule patches the PingSource (cron validated) and set-exceptions writes the ConfigMap', async () => {
    const b = JSON.stringify({
      command: 'set-schedule',
      pingSource: 'kscape-posture-daily',
      schedule: '0 3 * * *',
    });
    expect((await post(b, signed(b))).status).toBe(202);
    expect(kube.schedules.get('kscape/kscape-posture-daily')).toBe('0 3 * * *');
    const bad = JSON.stringify({
      command: 'set-schedule',
      pingSource: 'kscape-posture-daily',
      schedule: '61 * * * *',
    });
    const p = await expectProblem(await post(bad, signed(bad)), 400, 'invalid-params');
    expect(p.errors?.[0]?.path).toBe('schedule');
    const wrongName = JSON.stringify({
      command: 'set-schedule',
      pingSource: 'kube-system-thing',
      schedule: '0 3 * * *',
    });
    await expectProblem(await post(wrongName, signed(wrongName)), 400, 'invalid-params');
    const ex = JSON.stringify({
      command: 'set-exceptions',
      exceptions: [
        {
          name: 'allow-kube-system',
          resources: [{ designatorType: 'Attributes', attributes: { namespace: 'kube-system' } }],
          posturePolicies: [{ controlID: 'C-0017' }],
        },
      ],
    });
    expect((await post(ex, signed(ex))).status).toBe(202);
    expect(kube.exceptions.get('kscape')?.[0]).toMatchObject({
      name: 'allow-kube-system',
      policyType: 'postureExceptionPolicy',
    });
    expect(sink.events).toHaveLength(0);
  });

  describe('security: every rejection is a problem and emits nothing', () => {
    const body = JSON.stringify({ command: 'vulndb-update' });

    it('wrong signature, missing headers, secret not configured', async () => {
      const p = await expectProblem(
        await post(body, signed(body, { secret: generateSecret() })),
        401,
        'unauthorized',
      );
      expect(p.detail).toMatch(/no webhook-signature matches/);
      await expectProblem(await post(body, { 'content-type': 'application/json' }), 401, 'unauthorized');
      const tampered = signed(body);
      await expectProblem(await post(body.replace('vulndb', 'vulndc'), tampered), 401, 'unauthorized');
      const open = createControlApp({ secrets: [], namespace: 'kscape', store, sink, kube, now: () => NOW });
      expect(
        (await open.request('/v1/commands', { method: 'POST', body, headers: signed(body) })).status,
      ).toBe(401);
      expect(sink.events).toHaveLength(0);
    });

    it('stale and future timestamps', async () => {
      const old = await expectProblem(
        await post(body, signed(body, { ts: nowS - 301 })),
        401,
        'unauthorized',
      );
      expect(old.detail).toMatch(/in the past/);
      const fut = await expectProblem(
        await post(body, signed(body, { ts: nowS + 301 })),
        401,
        'unauthorized',
      );
      expect(fut.detail).toMatch(/in the future/);
      expect(sink.events).toHaveLength(0);
    });

    it('replayed webhook-id', async () => {
      const h = signed(body, { id: `msg_replay_${driver}` });
      expect((await post(body, h)).status).toBe(202);
      expect(sink.events).toHaveLength(1);
      await expectProblem(await post(body, h), 409, 'replayed');
      expect(sink.events).toHaveLength(1);
      // expired replay rows are cleaned up, and an expired id can no longer be replayed anyway (timestamp window)
      const later = new Date(NOW.getTime() + 11 * 60_000);
      expect(await store.cleanupReplay(later)).toBeGreaterThan(0);
    });

    it('unknown command lists the allowed ones and is recorded as rejected', async () => {
      const b = JSON.stringify({ command: 'rm-rf', path: '/' });
      const p = await expectProblem(await post(b, signed(b)), 400, 'unknown-command');
      expect(p.detail).toContain('configscan, vulnscan, vulndb-update, set-schedule, set-exceptions');
      const id = (p as unknown as { ids: string[] }).ids[0]!;
      expect(await getStatus(id)).toMatchObject({ status: 'rejected', command: 'rm-rf' });
      const unknownParam = JSON.stringify({ command: 'configscan', everything: true });
      await expectProblem(await post(unknownParam, signed(unknownParam)), 400, 'invalid-params');
      expect(sink.events).toHaveLength(0);
    });

    it('oversized body: declared (not read) and streamed', async () => {
      const big = JSON.stringify({ command: 'configscan', frameworks: ['x'.repeat(70_000)] });
      const r1 = await expectProblem(await post(big, signed(big)), 413, 'payload-too-large');
      expect(r1.detail).toMatch(/65536/);
      // chunked: no Content-Length, the limit applies while reading
      const stream = new ReadableStream<Uint8Array>({
        start(ctrl) {
          for (let i = 0; i < 20; i++) ctrl.enqueue(new TextEncoder().encode('x'.repeat(8192)));
          ctrl.close();
        },
      });
      const res = await app.request('/v1/commands', {
        method: 'POST',
        body: stream,
        headers: signed('x'),
        duplex: 'half',
      } as RequestInit);
      await expectProblem(res, 413, 'payload-too-large');
      expect(sink.events).toHaveLength(0);
    });

    it('malformed JSON', async () => {
      const b = '{"command": "configscan",';
      await expectProblem(await post(b, signed(b)), 400, 'malformed-json');
      expect(sink.events).toHaveLength(0);
    });

    it('other hostile shapes: non-object JSON, missing command, bad timestamp format, hostile parameters, id reuse with a new body', async () => {
      for (const b of ['[]', 'null', '"configscan"', '42']) {
        const p = await expectProblem(await post(b, signed(b)), 400, 'invalid-params');
        expect(p.detail).toMatch(/JSON object/);
      }
      const noCommand = JSON.stringify({ frameworks: ['nsa'] });
      expect(
        (await expectProblem(await post(noCommand, signed(noCommand)), 400, 'unknown-command')).detail,
      ).toMatch(/^unknown command undefined; allowed:/);
      const h = signed(body);
      const badTs = await expectProblem(
        await post(body, { ...h, 'webhook-timestamp': '17e8' }),
        401,
        'unauthorized',
      );
      expect(badTs.detail).toMatch(/not unix seconds/);
      for (const [hostile, path] of [
        [{ command: 'configscan', namespaces: ['../../etc'] }, 'namespaces.0'],
        [
          { command: 'configscan', frameworks: Array.from({ length: 1000 }, (_, i) => `f${i}`) },
          'frameworks',
        ],
        [
          { command: 'set-schedule', pingSource: 'kscape-posture-daily', schedule: 'every minute please' },
          'schedule',
        ],
        [
          { command: 'set-schedule', pingSource: '../kube-system/coredns', schedule: '0 * * * *' },
          'pingSource',
        ],
      ] as const) {
        const b = JSON.stringify(hostile);
        const p = await expectProblem(await post(b, signed(b)), 400, 'invalid-params');
        expect(
          p.errors?.map((e) => e.path),
          b,
        ).toContain(path);
      }
      // The same webhook-id, freshly signed over another body, is still a replay.
      const id = `msg_reuse_${driver}`;
      expect((await post(body, signed(body, { id }))).status).toBe(202);
      const other = JSON.stringify({ command: 'configscan' });
      await expectProblem(await post(other, signed(other, { id })), 409, 'replayed');
      expect(sink.events).toHaveLength(1);
      expect(sink.events[0]!.type).toBe('io.kubescape.vulndb.update.requested');
      expect(kube.schedules.size).toBe(0);
    });

    it('a sink failure answers 502 and records the command as failed', async () => {
      sink.fail = true;
      const p = await expectProblem(await post(body, signed(body)), 502, 'bad-gateway');
      const id = (p as unknown as { id: string }).id;
      expect(await getStatus(id)).toMatchObject({ status: 'failed' });
    });

    it('GET /v1/commands/{id} needs a signature too', async () => {
      await expectProblem(await app.request('/v1/commands/x', { method: 'GET' }), 401, 'unauthorized');
      await expectProblem(
        await app.request('/v1/commands/nope', { method: 'GET', headers: signed('') }),
        404,
        'not-found',
      );
    });
  });

  describe('POST /v1/triggerAction (Kubescape operator API)', () => {
    const bearer = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

    it('maps kubescapeScan, scan and cron commands', async () => {
      const body = JSON.stringify({
        commands: [
          {
            commandName: 'kubescapeScan',
            args: { scanV1: { targetType: 'framework', targetNames: ['nsa', 'mitre'] } },
          },
          { CommandName: 'scan', args: { imageTag: 'nginx:1.25' } },
          {
            commandName: 'setVulnScanCronJob',
            args: { jobParams: { cronTabSchedule: '15 2 * * *', name: 'x' } },
          },
        ],
      });
      const res = await post(body, bearer, '/v1/triggerAction');
      expect(res.status).toBe(202);
      const out = (await res.json()) as { ids: string[] };
      expect(out.ids).toHaveLength(3);
      expect(sink.events.map((e) => e.type)).toEqual([
        'io.kubescape.configscan.requested',
        'io.kubescape.vulnscan.requested',
      ]);
      expect(sink.events[0]!.data).toMatchObject({ frameworks: ['nsa', 'mitre'] });
      expect(kube.schedules.get('kscape/kscape-vulnerability-daily')).toBe('15 2 * * *');
    });

    it('rejects a wrong token, unsupported commands, and is 404 when no token is configured', async () => {
      const body = JSON.stringify({ commands: [{ commandName: 'kubescapeScan' }] });
      await expectProblem(
        await post(body, { authorization: 'Bearer nope' }, '/v1/triggerAction'),
        401,
        'unauthorized',
      );
      await expectProblem(await post(body, {}, '/v1/triggerAction'), 401, 'unauthorized');
      const reg = JSON.stringify({
        commands: [{ commandName: 'kubescapeScan' }, { commandName: 'runRegistryScan' }],
      });
      const p = await expectProblem(await post(reg, bearer, '/v1/triggerAction'), 400, 'unsupported-command');
      expect(p.detail).toMatch(/commands\[1\].*supported: kubescapeScan/);
      const badCron = JSON.stringify({
        commands: [
          { commandName: 'kubescapeScan' },
          { commandName: 'setKubescapeCronJob', args: { kubescapeJobParams: { cronTabSchedule: 'never' } } },
        ],
      });
      await expectProblem(await post(badCron, bearer, '/v1/triggerAction'), 400, 'invalid-params');
      expect(sink.events).toHaveLength(0);
      const disabled = createControlApp({
        secrets: [],
        namespace: 'kscape',
        store,
        sink,
        kube,
        now: () => NOW,
      });
      await expectProblem(
        await disabled.request('/v1/triggerAction', { method: 'POST', body, headers: bearer }),
        404,
        'not-found',
      );
      expect(sink.events).toHaveLength(0);
    });
  });

  it('health endpoints', async () => {
    expect((await app.request('/health/liveness')).status).toBe(200);
    expect((await app.request('/health/readiness')).status).toBe(200);
  });
});

describe('serveControl', () => {
  it('serves the app over HTTP with a real SinkClient; rejections reach no sink', async () => {
    const { createServer } = await import('node:http');
    const received: string[] = [];
    const sinkServer = createServer((req, res) => {
      received.push(String(req.headers['ce-type']));
      req.resume();
      req.on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((r) => sinkServer.listen(0, '127.0.0.1', r));
    const sinkPort = (sinkServer.address() as { port: number }).port;
    const { serveControl } = await import('./index.js');
    // A fresh database: DATABASE_URL's shared one remembers webhook-ids from earlier runs (replays).
    const { openDatabase } = await import('../../lib/db/index.js');
    const database = await openDatabase({ url: '' });
    const served = await serveControl({
      database,
      port: 0,
      host: '127.0.0.1',
      env: { KSCAPE_PROVIDER_SECRET: SECRET, K_SINK: `http://127.0.0.1:${sinkPort}/` },
      kube: new MemoryControlKube(),
    });
    try {
      const body = JSON.stringify({ command: 'vulndb-update' });
      const bad = await fetch(`${served.url}/v1/commands`, {
        method: 'POST',
        body,
        headers: signHeaders(OTHER, 'm1', Math.floor(Date.now() / 1000), body),
      });
      expect(bad.status).toBe(401);
      expect(received).toEqual([]);
      const big = await fetch(`${served.url}/v1/commands`, {
        method: 'POST',
        body: 'x'.repeat(70_000),
        headers: signHeaders(SECRET, 'm2', Math.floor(Date.now() / 1000), 'x'),
      });
      expect(big.status).toBe(413);
      const ok = await fetch(`${served.url}/v1/commands`, {
        method: 'POST',
        body,
        headers: signHeaders(SECRET, 'm3', Math.floor(Date.now() / 1000), body),
      });
      expect(ok.status).toBe(202);
      expect(received).toEqual(['io.kubescape.vulndb.update.requested']);
      expect((await fetch(`${served.url}/health/readiness`)).status).toBe(200);
    } finally {
      await served.close();
      await database.close();
      await new Promise<void>((r) => sinkServer.close(() => r()));
    }
  });
});
