import { beforeAll, beforeEach, expect, it } from 'vitest';
import { EVENT_TYPES, FUNCTION_ROUTES, type CatalogEvent } from '../../lib/events/index.js';
import type { IncomingEvent } from '../runtime/types.js';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import { loadScheduleConfig } from './config.js';
import type { PodLike } from './images.js';
import { createScheduleFunction } from './index.js';
import { ScheduleStore } from './store/index.js';
import { pingEvent, recordingContext } from './testing.js';

const ctx = (emitted: CatalogEvent[]) =>
  recordingContext(emitted, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
const ping = (job: string, id = 'ping-1'): IncomingEvent => pingEvent(job, id, 'kscape-posture');

const runningPod = (name: string, digestChar: string): PodLike => ({
  metadata: {
    name,
    namespace: 'default',
    ownerReferences: [{ kind: 'StatefulSet', name: 'db', apiVersion: 'apps/v1', controller: true }],
  },
  spec: { containers: [{ name: 'c', image: `img-${digestChar}:1` }] },
  status: {
    phase: 'Running',
    containerStatuses: [{ name: 'c', imageID: `img@sha256:${digestChar.repeat(64)}` }],
  },
});

forEachDriver('schedule function', (driver) => {
  const config = loadScheduleConfig({ KSCAPE_FRAMEWORKS: 'nsa,mitre' });
  const tdb = withTestDatabase(driver);
  let store: ScheduleStore;
  beforeAll(async () => {
    store = await ScheduleStore.open(tdb.db);
  });
  beforeEach(async () => {
    await tdb.db.query('DELETE FROM schedule_pending');
    await tdb.db.query('DELETE FROM schedule_images');
  });

  it('consumes exactly its routes', () => {
    expect(createScheduleFunction({ config, store }).consumes).toEqual(FUNCTION_ROUTES.schedule.consumes);
  });

  it('turns a posture ping into one cluster configscan request, with the same id on redelivery', async () => {
    const fn = createScheduleFunction({ config, store });
    const a = await fn.handle(ping('posture'), ctx([]));
    const b = await fn.handle(ping('posture'), ctx([]));
    expect(a?.type).toBe(EVENT_TYPES.configScanRequested);
    expect(a?.data).toMatchObject({
      frameworks: ['nsa', 'mitre'],
      scope: { excludeNamespaces: expect.arrayContaining(['kube-system']) },
    });
    expect(a?.id).toBe(b?.id);
    expect(a?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const c = await fn.handle(ping('posture', 'ping-2'), ctx([]));
    expect(c?.id).not.toBe(a?.id);
  });

  it('emits one vulnscan request per digest and replies nothing', async () => {
    const pods = [runningPod('db-0', 'a'), runningPod('db-1', 'a'), runningPod('db-2', 'b')];
    const fn = createScheduleFunction({
      config,
      store,
      listPods: async function* () {
        yield* pods;
      },
      // Never the default (the kubeconfig of whoever runs the tests): nothing stored, nothing to collect.
      collector: { async *listResults() {}, async *listWorkloads() {}, delete: async () => 'gone' },
    });
    const emitted: CatalogEvent[] = [];
    expect(await fn.handle(ping('vulnerability'), ctx(emitted))).toBeUndefined();
    expect(emitted.map((e) => e.type)).toEqual([
      EVENT_TYPES.vulnScanRequested,
      EVENT_TYPES.vulnScanRequested,
    ]);
    const again: CatalogEvent[] = [];
    await fn.handle(ping('vulnerability'), ctx(again));
    expect(again.map((e) => e.id)).toEqual(emitted.map((e) => e.id));
  });

  it('asks for a vulnerability DB update on the vulndb ping', async () => {
    const r = await createScheduleFunction({ config, store }).handle(ping('vulndb'), ctx([]));
    expect(r?.type).toBe(EVENT_TYPES.vulnDbUpdateRequested);
  });
});

const change = (type: 'add' | 'update' | 'delete', obj: Record<string, unknown>, id: string): IncomingEvent =>
  ({
    id,
    source: 'https://10.96.0.1:443',
    type: `dev.knative.apiserver.resource.${type}`,
    data: obj,
    extensions: {},
  }) as IncomingEvent;

const tick = (id: string): IncomingEvent => ping('tick', id);

const deployment = (generation: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'u-web', generation },
  spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1' }] } } },
});

forEachDriver('continuous scanning', (driver) => {
  const config = loadScheduleConfig({
    KSCAPE_FRAMEWORKS: 'nsa',
    KSCAPE_DEBOUNCE_WINDOW: '30s',
    KSCAPE_DEBOUNCE_MAX_WAIT: '5m',
  });
  const tdb = withTestDatabase(driver);
  let store: ScheduleStore;
  let clock: Date;
  const deleted: unknown[] = [];
  const pods = new Map<string, PodLike>();
  const make = () =>
    createScheduleFunction({
      config,
      store,
      now: () => clock,
      deleter: { deleteResultsOf: async (ref) => void deleted.push(ref) },
      getPod: async (ns, name) => pods.get(`${ns}/${name}`),
      listPods: async function* () {
        yield* pods.values();
      },
    });
  beforeAll(async () => {
    store = await ScheduleStore.open(tdb.db);
  });
  beforeEach(async () => {
    clock = new Date('2026-11-26T12:00:00Z');
    deleted.length = 0;
    pods.clear();
    await tdb.db.query('DELETE FROM schedule_pending');
    await tdb.db.query('DELETE FROM schedule_images');
  });
  const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

  it('turns 20 updates of one Deployment within the debounce window into one scoped scan', async () => {
    const fn = make();
    for (let i = 0; i < 20; i++) {
      await fn.handle(change(i ? 'update' : 'add', deployment(i + 1), `c${i}`), ctx([]));
      later(1000);
    }
    const early: CatalogEvent[] = [];
    await fn.handle(tick('t1'), ctx(early));
    expect(early).toEqual([]); // the last update was 1 s ago: still inside the window
    later(30_000);
    const emitted: CatalogEvent[] = [];
    await fn.handle(tick('t2'), ctx(emitted));
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.type).toBe(EVENT_TYPES.configScanRequested);
    expect(emitted[0]!.data).toMatchObject({
      frameworks: ['nsa'],
      scope: { objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' }] },
    });
    // The same tick delivered again finds nothing left to do.
    const again: CatalogEvent[] = [];
    await fn.handle(tick('t2'), ctx(again));
    expect(again).toEqual([]);
  });

  it('still scans an object that never stops changing, after the maximum wait', async () => {
    const fn = make();
    const emitted: CatalogEvent[] = [];
    for (let i = 0; i < 40; i++) {
      await fn.handle(change('update', deployment(i), `m${i}`), ctx([]));
      later(10_000);
      await fn.handle(tick(`mt${i}`), ctx(emitted));
    }
    expect(emitted).toHaveLength(1);
  });

  it('deletes the results of a deleted resource and drops its pending scan', async () => {
    const fn = make();
    await fn.handle(change('add', deployment(1), 'a'), ctx([]));
    await fn.handle(change('delete', deployment(1), 'd'), ctx([]));
    expect(deleted).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', uid: 'u-web' },
    ]);
    later(60_000);
    const emitted: CatalogEvent[] = [];
    await fn.handle(tick('t'), ctx(emitted));
    expect(emitted).toEqual([]);
  });

  it('requests a vulnerability scan for a new image digest once, not per pod', async () => {
    const fn = make();
    const emitted: CatalogEvent[] = [];
    await fn.handle(
      change('add', { apiVersion: 'v1', kind: 'Pod', ...runningPod('db-0', 'a') }, 'p0'),
      ctx(emitted),
    );
    await fn.handle(
      change('add', { apiVersion: 'v1', kind: 'Pod', ...runningPod('db-1', 'a') }, 'p1'),
      ctx(emitted),
    );
    await fn.handle(
      change('update', { apiVersion: 'v1', kind: 'Pod', ...runningPod('db-1', 'b') }, 'p2'),
      ctx(emitted),
    );
    expect(emitted.map((e) => (e.data as { digest: string }).digest)).toEqual([
      `sha256:${'a'.repeat(64)}`,
      `sha256:${'b'.repeat(64)}`,
    ]);
    // Owned pods are scanned through their StatefulSet: no posture scan of the pods themselves.
    later(60_000);
    const flushed: CatalogEvent[] = [];
    await fn.handle(tick('t'), ctx(flushed));
    expect(flushed).toEqual([]);
  });

  it('scans a naked pod only once its guard time has passed and it still exists', async () => {
    const fn = make();
    const naked = { apiVersion: 'v1', kind: 'Pod', ...runningPod('solo', 'c') };
    naked.metadata = { name: 'solo', namespace: 'default' };
    naked.status = { ...naked.status, startTime: clock.toISOString() };
    pods.set('default/solo', naked);
    const emitted: CatalogEvent[] = [];
    await fn.handle(change('add', naked, 'n0'), ctx(emitted));
    expect(emitted).toEqual([]);
    later(31_000);
    await fn.handle(tick('t1'), ctx(emitted));
    // The posture scan of the naked pod is due; its image is not, yet.
    expect(emitted.map((e) => e.type)).toEqual([EVENT_TYPES.configScanRequested]);
    later(3_600_000);
    await fn.handle(tick('t2'), ctx(emitted));
    expect(emitted.map((e) => e.type)).toEqual([
      EVENT_TYPES.configScanRequested,
      EVENT_TYPES.vulnScanRequested,
    ]);
  });

  it('ignores excluded namespaces and kinds it does not scan', async () => {
    const fn = make();
    await fn.handle(
      change('add', { ...deployment(1), metadata: { name: 'x', namespace: 'kube-system' } }, 'k'),
      ctx([]),
    );
    await fn.handle(
      change(
        'add',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } },
        'c',
      ),
      ctx([]),
    );
    expect(await store.pendingCount()).toBe(0);
  });
});
