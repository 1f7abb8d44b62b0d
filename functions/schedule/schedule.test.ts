import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { EVENT_TYPES, FUNCTION_ROUTES, type CatalogEvent } from '../../lib/events/index.js';
import { PermanentError } from '../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../runtime/types.js';
import { loadScheduleConfig } from './config.js';
import type { PodLike } from './images.js';
import { createScheduleFunction } from './index.js';

function ctx(emitted: CatalogEvent[]): FunctionContext {
  return {
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    source: '/kscape/schedule',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    emit: async (e) => {
      emitted.push(e);
    },
  };
}

const ping = (job: string, id = 'ping-1'): IncomingEvent =>
  ({
    id,
    source: '/apis/v1/namespaces/kubescape/pingsources/kscape-posture',
    type: EVENT_TYPES.ping,
    data: { job },
    extensions: {},
  }) as IncomingEvent;

const runningPod = (name: string, digestChar: string): PodLike => ({
  metadata: { name, namespace: 'default', ownerReferences: [{ kind: 'StatefulSet', name: 'db', apiVersion: 'apps/v1', controller: true }] },
  spec: { containers: [{ name: 'c', image: `img-${digestChar}:1` }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'c', imageID: `img@sha256:${digestChar.repeat(64)}` }] },
});

describe('schedule function', () => {
  const config = loadScheduleConfig({ KSCAPE_FRAMEWORKS: 'nsa,mitre' });

  it('consumes exactly its routes', () => {
    expect(createScheduleFunction({ config }).consumes).toEqual(FUNCTION_ROUTES.schedule.consumes);
  });

  it('turns a posture ping into one cluster configscan request, with the same id on redelivery', async () => {
    const fn = createScheduleFunction({ config });
    const a = await fn.handle(ping('posture'), ctx([]));
    const b = await fn.handle(ping('posture'), ctx([]));
    expect(a?.type).toBe(EVENT_TYPES.configScanRequested);
    expect(a?.data).toMatchObject({ frameworks: ['nsa', 'mitre'], scope: { excludeNamespaces: expect.arrayContaining(['kube-system']) } });
    expect(a?.id).toBe(b?.id);
    expect(a?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const c = await fn.handle(ping('posture', 'ping-2'), ctx([]));
    expect(c?.id).not.toBe(a?.id);
  });

  it('emits one vulnscan request per digest and replies nothing', async () => {
    const pods = [runningPod('db-0', 'a'), runningPod('db-1', 'a'), runningPod('db-2', 'b')];
    const fn = createScheduleFunction({
      config,
      listPods: async function* () {
        yield* pods;
      },
    });
    const emitted: CatalogEvent[] = [];
    expect(await fn.handle(ping('vulnerability'), ctx(emitted))).toBeUndefined();
    expect(emitted.map((e) => e.type)).toEqual([EVENT_TYPES.vulnScanRequested, EVENT_TYPES.vulnScanRequested]);
    const again: CatalogEvent[] = [];
    await fn.handle(ping('vulnerability'), ctx(again));
    expect(again.map((e) => e.id)).toEqual(emitted.map((e) => e.id));
  });

  it('asks for a vulnerability DB update on the vulndb ping', async () => {
    const r = await createScheduleFunction({ config }).handle(ping('vulndb'), ctx([]));
    expect(r?.type).toBe(EVENT_TYPES.vulnDbUpdateRequested);
  });

  it('refuses cluster-change events it cannot process yet, without retry', async () => {
    const ev = {
      id: '1',
      source: 's',
      type: EVENT_TYPES.resourceAdd,
      data: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
      extensions: {},
    } as IncomingEvent;
    await expect(createScheduleFunction({ config }).handle(ev, ctx([]))).rejects.toBeInstanceOf(PermanentError);
  });
});
