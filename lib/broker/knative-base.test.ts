/**
 * The real knative/base, routed by the local broker: every catalog type a function consumes
 * (FUNCTION_ROUTES) must reach exactly that function, and nothing a function produces may come
 * back to it. This is the same routing `kscape dev` uses, so a wrong Trigger fails here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, FUNCTION_ROUTES, type FunctionName } from '../events/index.js';
import { startLocalBroker, type LocalBroker } from './broker.js';
import { loadEventingConfig, type EventingConfig } from './config.js';
import { serviceResolver } from './resolve.js';
import { silentLogger, startSubscriber, type Subscriber } from './__fixtures__/servers.js';

const BASE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'knative', 'base');

describe('knative/base routed by the local broker', () => {
  let config: EventingConfig;
  let broker: LocalBroker;
  const servers = {} as Record<FunctionName | 'deadletter', Subscriber>;

  beforeAll(async () => {
    config = loadEventingConfig(BASE);
    for (const fn of [...FUNCTION_NAMES, 'deadletter'] as const) servers[fn] = await startSubscriber();
    const services: Record<string, string> = {};
    for (const [fn, s] of Object.entries(servers)) services[`kscape-${fn}`] = s.url;
    // startLocalBroker resolves every Trigger subscriber and dead-letter sink, or fails naming it
    broker = await startLocalBroker({
      config,
      resolve: serviceResolver(services),
      schedulePings: false,
      logger: silentLogger(),
    });
  });
  afterAll(async () => {
    await broker?.close();
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  const reset = () => {
    for (const s of Object.values(servers)) s.received.length = 0;
  };
  const send = async (type: string) => {
    reset();
    const r = broker.publish({
      attributes: {
        specversion: '1.0',
        id: `${type}-${Math.random()}`,
        source: '/kscape/test',
        type,
        datacontenttype: 'application/json',
      },
      data: Buffer.from('{}'),
    });
    await broker.whenIdle();
    const receivers = Object.entries(servers)
      .filter(([, s]) => s.received.length > 0)
      .map(([fn, s]) => ({ fn, count: s.received.length }));
    return { r, receivers };
  };

  it('has one Broker with a dead-letter sink and Triggers that all hang off it', () => {
    expect(config.brokers).toHaveLength(1);
    expect(config.brokers[0]!.delivery?.deadLetterSink).toBeDefined();
    expect(config.triggers.length).toBeGreaterThan(0);
  });

  const consumed = FUNCTION_NAMES.flatMap((fn) => FUNCTION_ROUTES[fn].consumes.map((type) => ({ fn, type })));
  it.each(consumed)('$type reaches exactly $fn, once', async ({ fn, type }) => {
    const { receivers } = await send(type);
    expect(receivers).toEqual([{ fn, count: 1 }]);
    expect(servers[fn].received[0]!.headers['ce-type']).toBe(type);
  });

  const produced = FUNCTION_NAMES.flatMap((fn) => FUNCTION_ROUTES[fn].produces.map((type) => ({ fn, type })));
  it.each(produced)('$type produced by $fn does not route back to $fn', async ({ fn, type }) => {
    const { receivers } = await send(type);
    expect(receivers.map((r) => r.fn)).not.toContain(fn);
  });

  it('a type outside the catalog reaches no function', async () => {
    const { r, receivers } = await send('io.example.not.in.catalog');
    expect(receivers).toEqual([]);
    expect(r).toMatchObject({ status: 'accepted', triggers: [] });
  });

  it('every PingSource reaches the schedule function with its job', async () => {
    expect(config.pingSources.length).toBeGreaterThan(0);
    for (const ps of config.pingSources) {
      reset();
      broker.firePing(`${ps.namespace}/${ps.name}`);
      await broker.whenIdle();
      expect(servers.schedule.received).toHaveLength(1);
      const got = servers.schedule.received[0]!;
      expect(got.headers['ce-type']).toBe('dev.knative.sources.ping');
      expect(got.headers['ce-source']).toBe(`/apis/v1/namespaces/${ps.namespace}/pingsources/${ps.name}`);
      expect(JSON.parse(got.body.toString())).toHaveProperty('job');
      for (const [fn, s] of Object.entries(servers))
        if (fn !== 'schedule') expect(s.received).toHaveLength(0);
    }
  });
});
