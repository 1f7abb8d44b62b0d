import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudEvent } from 'cloudevents';
import { buildEvent, EVENT_TYPES } from '../events/index.js';
import { BrokerBusyError, startLocalBroker, type LocalBroker } from './broker.js';
import { loadEventingConfig } from './config.js';
import { serviceResolver } from './resolve.js';
import {
  captureLogger,
  closedPortUrl,
  silentLogger,
  startSubscriber,
  writeManifests,
  type Answer,
  type Subscriber,
} from './__fixtures__/servers.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'knative', 'base');

const configScanRequested = (extensions: Record<string, string> = {}) =>
  buildEvent(
    EVENT_TYPES.configScanRequested,
    { scope: {}, frameworks: ['NSA'] },
    { source: '/test-producer', extensions },
  );

const binaryReply = (type: string, data: unknown, extra: Record<string, string> = {}): Answer => ({
  status: 200,
  headers: {
    'ce-specversion': '1.0',
    'ce-id': `reply-${Math.random().toString(16).slice(2)}`,
    'ce-source': '/kscape/scan',
    'ce-type': type,
    'content-type': 'application/json',
    ...extra,
  },
  body: JSON.stringify(data),
});

const completedData = {
  scanId: 's1',
  frameworks: [{ name: 'NSA', complianceScore: 80, riskScore: 20 }],
  counts: { resources: 3, passed: 2, failed: 1, skipped: 0, excluded: 0 },
  results: [],
};

describe('local broker with the fixture manifests', () => {
  let subs: Record<'schedule' | 'scan' | 'vuln' | 'export' | 'deadletter', Subscriber>;
  let broker: LocalBroker;

  const start = async (extra: Partial<Parameters<typeof startLocalBroker>[0]> = {}) => {
    broker = await startLocalBroker({
      config: loadEventingConfig(FIXTURE),
      resolve: serviceResolver({
        'kscape-schedule': subs.schedule.url,
        'kscape-scan': subs.scan.url,
        'kscape-vuln': subs.vuln.url,
        'kscape-export': subs.export.url,
        'kscape-deadletter': subs.deadletter.url,
      }),
      schedulePings: false,
      logger: silentLogger(),
      ...extra,
    });
    return broker;
  };

  beforeEach(async () => {
    subs = {
      schedule: await startSubscriber(),
      scan: await startSubscriber(),
      vuln: await startSubscriber(),
      export: await startSubscriber(),
      deadletter: await startSubscriber(),
    };
  });
  afterEach(async () => {
    await broker?.close();
    await Promise.all(Object.values(subs).map((s) => s.close()));
  });

  it('routes a fired PingSource event to the schedule function only, exactly as Knative emits it', async () => {
    await start();
    const r = broker.firePing('kscape-posture');
    await broker.whenIdle();
    expect(r.status).toBe('accepted');
    expect(subs.schedule.received).toHaveLength(1);
    for (const s of [subs.scan, subs.vuln, subs.export, subs.deadletter]) expect(s.received).toHaveLength(0);
    const req = subs.schedule.received[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['ce-type']).toBe('dev.knative.sources.ping');
    expect(req.headers['ce-source']).toBe('/apis/v1/namespaces/kscape/pingsources/kscape-posture');
    expect(req.headers['ce-specversion']).toBe('1.0');
    expect(req.headers['ce-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.status === 'accepted' && r.id).toBe(req.headers['ce-id']);
    expect(Number.isNaN(Date.parse(req.headers['ce-time']!))).toBe(false);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.prefer).toBe('reply');
    // broker bookkeeping does not leak to subscribers
    expect(req.headers['ce-knativebrokerttl']).toBeUndefined();
    expect(JSON.parse(req.body.toString())).toEqual({ job: 'posture' });
    expect(broker.stats()).toMatchObject({ pings: 1, accepted: 1, delivered: 1, attempts: 1, retried: 0 });
  });

  it('emits dataBase64 PingSource data decoded, with ceOverrides extensions', async () => {
    await start();
    broker.firePing('kscape/kscape-vulnerability');
    await broker.whenIdle();
    const req = subs.schedule.received[0]!;
    expect(req.body.toString()).toBe('{"job":"vulnerability"}');
    expect(req.headers['ce-kscapejob']).toBe('vulnerability');
    expect(req.headers['ce-source']).toBe('/apis/v1/namespaces/kscape/pingsources/kscape-vulnerability');
    expect(() => broker.firePing('nope')).toThrow(/no PingSource nope/);
  });

  it('retries a subscriber that answers 500 twice then 200, per the Broker DeliverySpec', async () => {
    subs.scan.respond = (_r, n) => (n < 2 ? { status: 500, body: 'not yet' } : { status: 200 });
    const { logger, lines } = captureLogger();
    await start({ logger });
    const ev = configScanRequested();
    broker.publish(ev);
    await broker.whenIdle();
    expect(subs.scan.received).toHaveLength(3);
    // every attempt carries the same event
    expect(new Set(subs.scan.received.map((r) => r.headers['ce-id']))).toEqual(new Set([ev.id]));
    expect(subs.deadletter.received).toHaveLength(0);
    const s = broker.stats();
    expect(s).toMatchObject({ delivered: 1, attempts: 3, retried: 2, deadLettered: 0, undeliverable: 0 });
    expect(s.triggers['kscape/kscape-scan-configscan-requested']).toMatchObject({
      delivered: 1,
      attempts: 3,
      retried: 2,
    });
    // one log line per attempt, with what an operator needs to follow the event; a failure that
    // will be retried is routine (info), only giving up is a warning
    const perAttempt = lines
      .filter((l) => l.eventId === ev.id && l.trigger === 'kscape/kscape-scan-configscan-requested')
      .map((l) => ({ level: l.level, attempt: l.attempt, status: l.status, eventType: l.eventType }));
    expect(perAttempt).toEqual([
      { level: 'info', attempt: 1, status: 500, eventType: EVENT_TYPES.configScanRequested },
      { level: 'info', attempt: 2, status: 500, eventType: EVENT_TYPES.configScanRequested },
      { level: 'info', attempt: 3, status: 200, eventType: EVENT_TYPES.configScanRequested },
    ]);
  });

  it('dead-letters after exhausting retries, with knativeerrordest/code/data', async () => {
    subs.scan.respond = () => ({ status: 503, body: 'database unavailable' });
    const { logger, lines } = captureLogger();
    await start({ logger });
    const ev = configScanRequested({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    broker.publish(ev);
    await broker.whenIdle();
    expect(subs.scan.received).toHaveLength(3); // retry: 2 → 3 attempts
    // Retries are info; giving up is the warning an operator must see.
    expect(
      lines
        .filter((l) => l.eventId === ev.id && l.attempt !== undefined && l.status === 503)
        .map((l) => [l.level, l.msg]),
    ).toEqual([
      ['info', 'delivery failed, will retry'],
      ['info', 'delivery failed, will retry'],
      ['warn', 'delivery failed'],
    ]);
    expect(subs.deadletter.received).toHaveLength(1);
    const dl = subs.deadletter.received[0]!;
    expect(dl.headers['ce-id']).toBe(ev.id);
    expect(dl.headers['ce-type']).toBe(EVENT_TYPES.configScanRequested);
    expect(dl.headers['ce-traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(dl.headers['ce-knativeerrordest']).toBe(subs.scan.url);
    expect(dl.headers['ce-knativeerrorcode']).toBe('503');
    expect(Buffer.from(dl.headers['ce-knativeerrordata']!, 'base64').toString()).toBe('database unavailable');
    expect(JSON.parse(dl.body.toString())).toEqual(JSON.parse(subs.scan.received[0]!.body.toString()));
    expect(broker.stats()).toMatchObject({ delivered: 0, attempts: 3, retried: 2, deadLettered: 1 });
  });

  it('does not retry a 400 and dead-letters it at once', async () => {
    subs.scan.respond = () => ({ status: 400, body: '{"title":"invalid data"}' });
    await start();
    broker.publish(configScanRequested());
    await broker.whenIdle();
    expect(subs.scan.received).toHaveLength(1);
    expect(subs.deadletter.received).toHaveLength(1);
    expect(subs.deadletter.received[0]!.headers['ce-knativeerrorcode']).toBe('400');
    expect(broker.stats()).toMatchObject({ attempts: 1, retried: 0, deadLettered: 1 });
  });

  it('does not retry 403 or 422, but retries 404, 409 and 429', async () => {
    const statuses = [403, 422, 404, 409, 429];
    await start();
    for (const status of statuses) {
      subs.scan.received.length = 0;
      const headers: Record<string, string> = status === 429 ? { 'retry-after': '0' } : {};
      subs.scan.respond = (_r, n): Answer => (n === 0 ? { status, headers } : { status: 202 });
      broker.publish(configScanRequested());
      await broker.whenIdle();
      expect({ status, attempts: subs.scan.received.length }).toEqual({
        status,
        attempts: status < 404 || status === 422 ? 1 : 2,
      });
    }
    expect(broker.stats()).toMatchObject({ deadLettered: 2, delivered: 3 });
  });

  it("uses the Trigger's delivery spec instead of the Broker's: no retry and no dead-letter sink", async () => {
    const { logger, lines } = captureLogger();
    subs.vuln.respond = () => ({ status: 500 });
    await start({ logger });
    broker.publish(
      buildEvent(EVENT_TYPES.vulnScanRequested, { image: 'nginx:1.25' }, { source: '/test-producer' }),
    );
    await broker.whenIdle();
    expect(subs.vuln.received).toHaveLength(1);
    // ref + relative uri are combined as Knative does
    expect(subs.vuln.received[0]!.url).toBe('/events?from=broker');
    expect(subs.deadletter.received).toHaveLength(0);
    expect(broker.stats()).toMatchObject({ attempts: 1, undeliverable: 1, deadLettered: 0 });
    const err = lines.find((l) => l.level === 'error' && /no dead-letter sink/.test(l.msg));
    expect(err).toMatchObject({ trigger: 'kscape/kscape-vuln-vulnscan-requested', status: 500 });
  });

  it('re-publishes a binary 200 reply, which routes to another trigger', async () => {
    subs.scan.respond = () => binaryReply(EVENT_TYPES.configScanCompleted, completedData);
    await start();
    broker.publish(configScanRequested());
    await broker.whenIdle();
    expect(subs.scan.received).toHaveLength(1);
    expect(subs.export.received).toHaveLength(1);
    const got = subs.export.received[0]!;
    expect(got.headers['ce-type']).toBe(EVENT_TYPES.configScanCompleted);
    expect(got.headers['ce-source']).toBe('/kscape/scan');
    expect(got.headers['ce-knativebrokerttl']).toBeUndefined();
    expect(JSON.parse(got.body.toString())).toEqual(completedData);
    expect(broker.stats()).toMatchObject({ replies: 1, delivered: 2, accepted: 2 });
  });

  it('re-publishes a structured 200 reply and delivers it in binary mode', async () => {
    subs.scan.respond = () => ({
      status: 200,
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'r-1',
        source: '/kscape/scan',
        type: EVENT_TYPES.configScanCompleted,
        datacontenttype: 'application/json',
        data: completedData,
      }),
    });
    await start();
    broker.publish(configScanRequested());
    await broker.whenIdle();
    const got = subs.export.received[0]!;
    expect(got.headers['ce-id']).toBe('r-1');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body.toString())).toEqual(completedData);
  });

  it('does not treat a 202 or a 200 without a CloudEvent as a reply', async () => {
    subs.scan.respond = (_r, n) =>
      n === 0
        ? { ...binaryReply(EVENT_TYPES.configScanCompleted, completedData), status: 202 }
        : { status: 200, body: 'OK' };
    await start();
    broker.publish(configScanRequested());
    broker.publish(configScanRequested());
    await broker.whenIdle();
    expect(subs.export.received).toHaveLength(0);
    expect(broker.stats()).toMatchObject({ replies: 0, delivered: 2 });
  });

  it('treats a malformed reply as a failed delivery (retried, then dead-lettered)', async () => {
    subs.scan.respond = () => ({
      status: 200,
      headers: { 'ce-specversion': '1.0', 'ce-type': 'x' },
      body: '{}',
    });
    await start();
    broker.publish(configScanRequested());
    await broker.whenIdle();
    expect(subs.scan.received).toHaveLength(3);
    expect(subs.deadletter.received).toHaveLength(1);
    expect(subs.deadletter.received[0]!.headers['ce-knativeerrorcode']).toBe('200');
  });

  it('stops a reply loop with the TTL', async () => {
    const { logger, lines } = captureLogger();
    // a subscriber whose reply matches its own trigger
    subs.scan.respond = () => binaryReply(EVENT_TYPES.configScanRequested, { scope: {} });
    await start({ logger });
    broker.publish(configScanRequested({ knativebrokerttl: '5' }));
    await broker.whenIdle();
    // TTL 5, 4, 3, 2, 1 are delivered; the reply carrying 0 is dropped
    expect(subs.scan.received).toHaveLength(5);
    expect(broker.stats()).toMatchObject({ delivered: 5, replies: 4, droppedTtl: 1 });
    expect(lines.filter((l) => l.level === 'warn' && /knativebrokerttl exhausted/.test(l.msg))).toHaveLength(
      1,
    );
  });

  it('defaults the TTL to 255 hops', async () => {
    subs.scan.respond = () => binaryReply(EVENT_TYPES.configScanRequested, { scope: {} });
    await start();
    broker.publish(configScanRequested());
    await broker.whenIdle();
    expect(subs.scan.received).toHaveLength(255);
    expect(broker.stats()).toMatchObject({ droppedTtl: 1, replies: 254 });
  });

  it('drops an event that arrives with TTL 0', async () => {
    await start();
    const r = broker.publish(configScanRequested({ knativebrokerttl: '0' }));
    await broker.whenIdle();
    expect(r.status).toBe('dropped-ttl');
    expect(subs.scan.received).toHaveLength(0);
    expect(broker.stats().droppedTtl).toBe(1);
  });

  it('applies filters read from the manifests (any + not prefix)', async () => {
    await start();
    const completed = (source: string) =>
      buildEvent(EVENT_TYPES.configScanCompleted, completedData, { source });
    expect(broker.publish(completed('/test/fake'))).toMatchObject({ status: 'accepted', triggers: [] });
    expect(broker.publish(completed('/kscape/scan'))).toMatchObject({
      triggers: ['kscape/kscape-export-completed'],
    });
    await broker.whenIdle();
    expect(subs.export.received).toHaveLength(1);
    expect(broker.stats()).toMatchObject({ unmatched: 1, delivered: 1 });
  });

  describe('ingress', () => {
    const curlBinary = {
      'ce-specversion': '1.0',
      'ce-id': 'curl-1',
      'ce-source': 'curl',
      'ce-type': 'dev.knative.sources.ping',
      'ce-comexampleext': 'hello%20world',
      'content-type': 'application/json',
    };

    it('accepts a curl-style binary POST at the Knative path and at /', async () => {
      await start();
      expect(broker.ingressUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/kscape\/kscape$/);
      const r1 = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: curlBinary,
        body: '{"job":"tick"}',
      });
      expect(r1.status).toBe(202);
      const root = new URL('/', broker.ingressUrl).toString();
      const r2 = await fetch(root, {
        method: 'POST',
        headers: { ...curlBinary, 'ce-id': 'curl-2' },
        body: '{"job":"tick"}',
      });
      expect(r2.status).toBe(202);
      await broker.whenIdle();
      expect(subs.schedule.received.map((r) => r.headers['ce-id']).sort()).toEqual(['curl-1', 'curl-2']);
      const got = subs.schedule.received[0]!;
      expect(got.headers['ce-comexampleext']).toBe('hello%20world');
      expect(got.body.toString()).toBe('{"job":"tick"}');
    });

    it('accepts a structured POST and delivers it in binary mode with the same attributes', async () => {
      await start();
      const res = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({
          specversion: '1.0',
          id: 's-1',
          source: '/structured',
          type: 'dev.knative.sources.ping',
          subject: 'a subject',
          datacontenttype: 'application/json',
          myext: 42,
          data: { job: 'vulndb' },
        }),
      });
      expect(res.status).toBe(202);
      await broker.whenIdle();
      const got = subs.schedule.received[0]!;
      expect(got.headers).toMatchObject({
        'ce-id': 's-1',
        'ce-source': '/structured',
        'ce-subject': 'a%20subject',
        'ce-myext': '42',
        'content-type': 'application/json',
      });
      expect(JSON.parse(got.body.toString())).toEqual({ job: 'vulndb' });
    });

    it('answers 405, 400, 415 and 404 for what it cannot accept', async () => {
      await start();
      const get = await fetch(broker.ingressUrl);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      const notCe = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(notCe.status).toBe(400);
      const noId = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: { ...curlBinary, 'ce-id': '' },
        body: '{}',
      });
      expect(noId.status).toBe(400);
      const badJson = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: '{',
      });
      expect(badJson.status).toBe(400);
      const batch = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: '[]',
      });
      expect(batch.status).toBe(415);
      const avro = await fetch(broker.ingressUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+avro' },
        body: 'x',
      });
      expect(avro.status).toBe(415);
      const other = await fetch(new URL('/default/nope', broker.ingressUrl), {
        method: 'POST',
        headers: curlBinary,
        body: '{}',
      });
      expect(other.status).toBe(404);
      await broker.whenIdle();
      expect(broker.stats()).toMatchObject({ accepted: 0, invalid: 5 });
      expect(subs.schedule.received).toHaveLength(0);
    });
  });

  it('accepts SDK CloudEvents from publish() byte-faithfully', async () => {
    await start();
    broker.publish(
      new CloudEvent({
        type: 'dev.knative.sources.ping',
        source: '/sdk',
        data: { job: 'tick' },
        datacontenttype: 'application/json',
      }),
    );
    await broker.whenIdle();
    expect(JSON.parse(subs.schedule.received[0]!.body.toString())).toEqual({ job: 'tick' });
  });
});

describe('local broker: limits, failures and scheduling', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });

  const oneTrigger = (delivery = '', extraTriggers = '') =>
    loadEventingConfig(
      writeManifests({
        'kustomization.yaml': 'resources: [eventing.yaml]\n',
        'eventing.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t}
spec:
  broker: default
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: sub}}
${delivery}
${extraTriggers}
`,
      }),
    );

  const startWith = async (
    config: ReturnType<typeof oneTrigger>,
    services: Record<string, string>,
    extra: Partial<Parameters<typeof startLocalBroker>[0]> = {},
  ) => {
    const b = await startLocalBroker({
      config,
      resolve: serviceResolver(services),
      schedulePings: false,
      logger: silentLogger(),
      ...extra,
    });
    closers.push(() => b.close());
    return b;
  };
  const sub = async (respond?: Parameters<typeof startSubscriber>[0]) => {
    const s = await startSubscriber(respond);
    closers.push(() => s.close());
    return s;
  };
  const ping = (id: string) =>
    new CloudEvent({ id, type: 'dev.knative.sources.ping', source: '/t', data: { job: 'tick' } });

  it('fails at start, naming the Trigger, when a subscriber cannot be resolved', async () => {
    await expect(
      startLocalBroker({ config: oneTrigger(), resolve: serviceResolver({}), logger: silentLogger() }),
    ).rejects.toThrow(
      /Trigger default\/t: spec.subscriber ref serving.knative.dev\/v1 Service default\/sub cannot be resolved/,
    );
  });

  it('retries network errors and dead-letters without knativeerrorcode', async () => {
    const dls = await sub();
    const dead = await closedPortUrl();
    const config = oneTrigger(`  delivery:
    retry: 1
    backoffDelay: PT0.001S
    deadLetterSink: {uri: ${dls.url}dead}`);
    const b = await startWith(config, { sub: dead });
    b.publish(ping('n-1'));
    await b.whenIdle();
    expect(b.stats()).toMatchObject({ attempts: 2, retried: 1, deadLettered: 1 });
    const got = dls.received[0]!;
    expect(got.url).toBe('/dead');
    expect(got.headers['ce-knativeerrordest']).toBe(dead);
    expect(got.headers['ce-knativeerrorcode']).toBeUndefined();
  });

  it('times out a subscriber per DeliverySpec.timeout and retries', async () => {
    const never = await sub(() => new Promise<Answer>(() => undefined));
    const config = oneTrigger(`  delivery:
    retry: 1
    backoffDelay: PT0.001S
    timeout: PT0.1S`);
    const b = await startWith(config, { sub: never.url });
    b.publish(ping('t-1'));
    await b.whenIdle();
    // (the server may not have read an attempt's request before its deadline, so count at the broker)
    expect(b.stats()).toMatchObject({ attempts: 2, retried: 1, delivered: 0, undeliverable: 1 });
    expect(never.received.length).toBeGreaterThanOrEqual(1);
  });

  it('caps Retry-After with retryAfterMax', async () => {
    // Without the cap the retry would wait an hour and the test would time out.
    const s = await sub((_r, n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 202 },
    );
    const config = oneTrigger(`  delivery:
    retry: 1
    backoffDelay: PT0.001S
    retryAfterMax: PT0.01S`);
    const b = await startWith(config, { sub: s.url });
    b.publish(ping('r-1'));
    await b.whenIdle();
    expect(s.received).toHaveLength(2);
    expect(b.stats().delivered).toBe(1);
  });

  it('counts and logs an event lost when the dead-letter sink fails too', async () => {
    const failing = await sub(() => ({ status: 500 }));
    const dls = await sub(() => ({ status: 400 }));
    const { logger, lines } = captureLogger();
    const config = oneTrigger(`  delivery:
    retry: 1
    backoffDelay: PT0.001S
    deadLetterSink: {uri: ${dls.url}}`);
    const b = await startWith(config, { sub: failing.url }, { logger });
    b.publish(ping('lost-1'));
    await b.whenIdle();
    expect(failing.received).toHaveLength(2);
    expect(dls.received).toHaveLength(1); // 400 from the sink is not retried either
    expect(b.stats()).toMatchObject({ deadLettered: 0, deadLetterFailed: 1 });
    expect(b.stats().triggers['default/t']).toMatchObject({ failed: 1 });
    expect(lines.find((l) => l.level === 'error' && l.eventId === 'lost-1')?.msg).toMatch(
      /dead-letter sink failed too/,
    );
  });

  it('close() aborts in-flight deliveries and pending retries and resolves', async () => {
    const never = await sub(() => new Promise<Answer>(() => undefined));
    const slow = await sub(() => ({ status: 503, headers: { 'retry-after': '3600' } }));
    const config = oneTrigger(
      '  delivery: {retry: 3, backoffDelay: PT0.001S}',
      `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t2}
spec:
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: sub2}}
  delivery: {retry: 3, backoffDelay: PT0.001S}
`,
    );
    const b = await startLocalBroker({
      config,
      resolve: serviceResolver({ sub: never.url, sub2: slow.url }),
      logger: silentLogger(),
    });
    b.publish(ping('c-1'));
    await never.waitFor(1);
    await slow.waitFor(1);
    await b.close(); // would hang for an hour (Retry-After) or forever (no answer) if not aborted
    expect(b.stats()).toMatchObject({ pending: 0, delivered: 0, aborted: 2 });
    expect(() => b.publish(ping('c-2'))).toThrow(/broker is closed/);
  });

  it('sends structured events when DeliverySpec.format is json', async () => {
    const s = await sub();
    const b = await startWith(oneTrigger('  delivery: {format: json}'), { sub: s.url });
    b.publish(ping('f-1'));
    await b.whenIdle();
    const got = s.received[0]!;
    expect(got.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(JSON.parse(got.body.toString())).toMatchObject({
      id: 'f-1',
      type: 'dev.knative.sources.ping',
      data: { job: 'tick' },
    });
  });

  it('refuses bodies over maxBodyBytes with 413', async () => {
    const s = await sub();
    const b = await startWith(oneTrigger(), { sub: s.url }, { maxBodyBytes: 64 });
    const headers = { 'ce-specversion': '1.0', 'ce-id': 'big', 'ce-source': 'curl', 'ce-type': 'x' };
    const res = await fetch(b.ingressUrl, { method: 'POST', headers, body: 'x'.repeat(65) });
    expect(res.status).toBe(413);
    const ok = await fetch(b.ingressUrl, { method: 'POST', headers, body: 'x'.repeat(64) });
    expect(ok.status).toBe(202);
    await b.whenIdle();
    expect(b.stats()).toMatchObject({ invalid: 1, delivered: 1 });
  });

  it('bounds pending events: ingress answers 429 and publish throws when full', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await sub(async () => {
      await gate;
      return { status: 202 };
    });
    const b = await startWith(oneTrigger(), { sub: s.url }, { maxPendingEvents: 2 });
    b.publish(ping('p-1'));
    b.publish(ping('p-2'));
    expect(() => b.publish(ping('p-3'))).toThrow(BrokerBusyError);
    const res = await fetch(b.ingressUrl, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'p-4', 'ce-source': 'curl', 'ce-type': 'x' },
      body: '',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    release();
    await b.whenIdle();
    expect(b.stats()).toMatchObject({ delivered: 2, rejected: 2, pending: 0 });
    // room again
    b.publish(ping('p-5'));
    await b.whenIdle();
    expect(s.received.map((r) => r.headers['ce-id'])).toEqual(['p-1', 'p-2', 'p-5']);
  });

  it('bounds concurrent deliveries', async () => {
    let releaseAll!: () => void;
    const gate = new Promise<void>((r) => (releaseAll = r));
    const s = await sub(async () => {
      await gate;
      return { status: 202 };
    });
    const b = await startWith(oneTrigger(), { sub: s.url }, { maxConcurrentDeliveries: 2 });
    for (let i = 0; i < 6; i++) b.publish(ping(`c-${i}`));
    await s.waitFor(2);
    // every delivery is dispatched synchronously up to the bound, so a third would be counted here
    expect(b.stats()).toMatchObject({ inFlight: 2, pending: 6 });
    expect(s.received).toHaveLength(2);
    releaseAll();
    await b.whenIdle();
    expect(s.received).toHaveLength(6);
    expect(b.stats()).toMatchObject({ delivered: 6, inFlight: 0 });
  });

  it('delivers to different triggers concurrently', async () => {
    // a holds its response until b has received the same event: sequential delivery would deadlock
    const b2 = await sub();
    const a = await sub(async () => {
      await b2.waitFor(1);
      return { status: 202 };
    });
    const config = oneTrigger(
      '',
      `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t2}
spec:
  broker: default
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: sub2}}
`,
    );
    const b = await startWith(config, { sub: a.url, sub2: b2.url });
    expect(b.publish(ping('both'))).toMatchObject({ triggers: ['default/t', 'default/t2'] });
    await b.whenIdle();
    expect(b.stats().delivered).toBe(2);
  });

  it('routes per broker: /<namespace>/<broker>, / for the default one, publish({broker})', async () => {
    const a = await sub();
    const o = await sub();
    const config = loadEventingConfig(
      writeManifests({
        'all.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: other}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: on-default}
spec:
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: a}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: on-other}
spec:
  broker: other
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: o}}
`,
      }),
    );
    const b = await startWith(config, { a: a.url, o: o.url });
    expect(Object.keys(b.ingressUrls).sort()).toEqual(['default/default', 'default/other']);
    expect(b.ingressUrl).toBe(b.ingressUrls['default/default']);
    const post = (url: string, id: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': 'curl', 'ce-type': 'x' },
      });
    expect((await post(b.ingressUrls['default/other']!, 'to-other')).status).toBe(202);
    expect((await post(new URL('/', b.ingressUrl).toString(), 'to-root')).status).toBe(202);
    b.publish(ping('published-other'), { broker: 'other' });
    await b.whenIdle();
    expect(a.received.map((r) => r.headers['ce-id'])).toEqual(['to-root']);
    expect(o.received.map((r) => r.headers['ce-id']).sort()).toEqual(['published-other', 'to-other']);
  });

  it('sends PingSource events straight to a sink that is not a Broker', async () => {
    const direct = await sub();
    const config = loadEventingConfig(
      writeManifests({
        'all.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: direct}
spec:
  contentType: text/plain
  data: hello
  sink: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: direct}, uri: /ping}
`,
      }),
    );
    const b = await startWith(config, { direct: direct.url });
    b.firePing('direct');
    await b.whenIdle();
    expect(direct.received).toHaveLength(1);
    expect(direct.received[0]).toMatchObject({ url: '/ping', body: Buffer.from('hello') });
    expect(direct.received[0]!.headers).toMatchObject({
      'ce-type': 'dev.knative.sources.ping',
      'content-type': 'text/plain',
    });
    expect(b.stats()).toMatchObject({ pings: 1, accepted: 0 });
  });

  it('schedules PingSources with croner (timezone honoured) and can be disabled', async () => {
    const s = await sub();
    const config = loadEventingConfig(
      writeManifests({
        'all.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t}
spec:
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: sub}}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: every-second}
spec:
  schedule: "* * * * * *"
  data: tick
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: fast}
spec:
  schedule: "@every 50ms"
  data: fast
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  timezone: Asia/Tokyo
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
`,
      }),
    );
    const off = await startWith(config, { sub: s.url }, { schedulePings: false });
    expect(off.pingSchedule()).toEqual([]);
    await off.close();

    const b = await startWith(config, { sub: s.url }, { schedulePings: true });
    const nightly = b.pingSchedule().find((p) => p.name === 'default/nightly')!;
    expect(nightly.timezone).toBe('Asia/Tokyo');
    // 03:00 in Tokyo is 18:00 UTC
    expect(nightly.nextRun!.getUTCHours()).toBe(18);
    expect(nightly.nextRun!.getUTCMinutes()).toBe(0);
    const got = await s.waitUntil((r) => r.headers['ce-source']!.endsWith('every-second'));
    expect(got.headers['ce-source']).toBe('/apis/v1/namespaces/default/pingsources/every-second');
    expect(got.headers['content-type']).toBeUndefined();
    expect(got.body.toString()).toBe('tick');
    // @every runs on a fixed interval: wait for several of them
    await s.waitUntil(() => s.received.filter((r) => r.body.toString() === 'fast').length >= 3);
    expect(b.pingSchedule().find((p) => p.name === 'default/fast')!.nextRun).toBeInstanceOf(Date);
  });
});
