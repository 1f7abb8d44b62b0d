import { describe, expect, it } from 'vitest';
import type { ScanResult } from './collector.js';
import { pino } from 'pino';
import {
  identitiesOfPod,
  KubePodLookup,
  StaticPodLookup,
  workloadOf,
  type ContainerIdentity,
  type PodJson,
  type PodPage,
} from './pods.js';
import { RelevancyTracker } from './tracker.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const MIN = 60_000;

function scan(files: Record<string, string[]>, present: string[] = Object.keys(files)): ScanResult {
  return {
    containers: new Map(
      Object.entries(files).map(([id, f]) => [
        id,
        { identity: { containerId: id }, pids: [1], files: new Set(f) },
      ]),
    ),
    present: new Set(present),
    stats: { processes: 1, containerProcesses: 1, skipped: 0, malformedCgroupLines: 0 },
  };
}

const ident = (id: string, extra: Partial<ContainerIdentity> = {}): ContainerIdentity => ({
  namespace: 'shop',
  pod: 'web-7d9f8-abcde',
  container: 'app',
  containerID: `containerd://${id}`,
  containerType: 'containers',
  ...extra,
});

function tracker(over: Partial<ConstructorParameters<typeof RelevancyTracker>[0]> = {}) {
  return new RelevancyTracker({
    initialDelayMs: 2 * MIN,
    updatePeriodMs: 10 * MIN,
    maxLearningMs: 60 * MIN,
    jitterPercent: 0,
    maxFiles: 100,
    startGraceMs: MIN,
    ...over,
  });
}

describe('RelevancyTracker learning lifecycle', () => {
  it('reports after the initial delay, then per update period when files changed, and completes at the maximum', () => {
    const t = tracker();
    const ids = new Map([[A, ident(A, { startedAt: new Date(0).toISOString() })]]);
    t.observe(scan({ [A]: ['/bin/app', '/lib/libc.so.6'] }), ids, 0);
    expect(t.due(MIN)).toEqual([]);
    const first = t.due(2 * MIN);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      files: ['/bin/app', '/lib/libc.so.6'],
      complete: false,
      status: 'learning',
      completion: 'complete',
    });
    t.ack(A, true, 2);

    // Nothing new by the next update: no report.
    t.observe(scan({ [A]: ['/bin/app'] }), ids, 5 * MIN);
    expect(t.due(12 * MIN)).toEqual([]);
    // A new file: reported at the following update, with the full set.
    t.observe(scan({ [A]: ['/etc/app.conf'] }), ids, 15 * MIN);
    const second = t.due(22 * MIN);
    expect(second[0]?.files).toEqual(['/bin/app', '/etc/app.conf', '/lib/libc.so.6']);
    t.ack(A, true, 3);

    // End of learning: final report even without changes, then the container is no longer read.
    t.observe(scan({ [A]: [] }), ids, 59 * MIN);
    const final = t.due(60 * MIN);
    expect(final[0]).toMatchObject({ complete: true, status: 'completed' });
    t.ack(A, true, 3);
    expect(t.want(A)).toBe(false);
    expect(t.size).toBe(0);
    expect(t.due(70 * MIN)).toEqual([]);
  });

  it('retries undelivered reports on the next tick', () => {
    const t = tracker({ initialDelayMs: 0 });
    t.observe(scan({ [A]: ['/x'] }), new Map([[A, ident(A)]]), 0);
    expect(t.due(0)).toHaveLength(1);
    t.ack(A, false, 1);
    expect(t.due(1000)).toHaveLength(1);
    t.ack(A, true, 1);
    expect(t.due(2000)).toEqual([]);
  });

  it('caps the files per container and marks the report truncated and partial', () => {
    const t = tracker({ maxFiles: 3, initialDelayMs: 0 });
    t.observe(
      scan({ [A]: ['/1', '/2', '/3', '/4', '/5'] }),
      new Map([[A, ident(A, { startedAt: new Date(0).toISOString() })]]),
      0,
    );
    const [r] = t.due(0);
    expect(r?.files).toHaveLength(3);
    expect(r).toMatchObject({ truncated: true, completion: 'partial' });
  });

  it('marks containers that were running before the agent saw them as partial', () => {
    const t = tracker({ initialDelayMs: 0 });
    t.observe(
      scan({ [A]: ['/x'] }),
      new Map([[A, ident(A, { startedAt: new Date(0).toISOString() })]]),
      30 * MIN,
    );
    expect(t.due(30 * MIN)[0]?.completion).toBe('partial');
  });

  it('honours the pod label kubescape.io/max-sniffing-time per container', () => {
    const t = tracker();
    t.observe(
      scan({ [A]: ['/x'], [B]: ['/y'] }),
      new Map([
        [A, ident(A, { maxLearningMs: 5 * MIN })],
        [B, ident(B)],
      ]),
      0,
    );
    const due = t.due(5 * MIN);
    expect(due.map((r) => [r.containerId, r.complete])).toEqual([
      [A, true],
      [B, false],
    ]);
  });

  it('sends a final incomplete report for containers that disappear, then forgets them', () => {
    const t = tracker();
    const ids = new Map([[A, ident(A)]]);
    t.observe(scan({ [A]: ['/x'] }), ids, 0);
    t.observe(scan({}, []), ids, MIN);
    expect(t.due(MIN)).toEqual([]); // one missed scan is not gone yet
    t.observe(scan({}, []), ids, 2 * MIN);
    const [r] = t.due(2 * MIN);
    expect(r).toMatchObject({ status: 'incomplete', complete: false, files: ['/x'] });
    t.ack(A, true, 1);
    expect(t.size).toBe(0);
    expect(t.want(A)).toBe(true);
  });

  it('applies jitter within the configured percentage', () => {
    const lo = tracker({ jitterPercent: 5, random: () => 0 });
    lo.observe(scan({ [A]: ['/x'] }), new Map(), 0);
    expect(lo.due(Math.round(2 * MIN * 0.95))).toHaveLength(1);
    const hi = tracker({ jitterPercent: 5, random: () => 0.999999 });
    hi.observe(scan({ [A]: ['/x'] }), new Map(), 0);
    expect(hi.due(Math.round(2 * MIN * 1.04))).toHaveLength(0);
  });
});

describe('pod identities', () => {
  const pod = {
    metadata: {
      name: 'web-7d9f8c6b5-abcde',
      namespace: 'shop',
      uid: 'u-1',
      labels: { 'pod-template-hash': '7d9f8c6b5', 'kubescape.io/max-sniffing-time': '30m' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'rs-1', controller: true },
      ],
    },
    status: {
      containerStatuses: [
        {
          name: 'app',
          containerID: `containerd://${A}`,
          image: 'docker.io/library/nginx:1.27',
          imageID: `docker.io/library/nginx@sha256:${'c'.repeat(64)}`,
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: new Date('2026-01-01T00:00:00Z') } },
        },
        { name: 'waiting', image: 'x', imageID: '', ready: false, restartCount: 0 },
      ],
      initContainerStatuses: [
        {
          name: 'init',
          containerID: `cri-o://${B}`,
          image: 'busybox',
          imageID: 'busybox',
          ready: false,
          restartCount: 0,
        },
      ],
    },
  };

  it('maps container statuses to identities with digest, workload and learning override', async () => {
    const ids = identitiesOfPod(pod);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatchObject({
      namespace: 'shop',
      pod: 'web-7d9f8c6b5-abcde',
      container: 'app',
      imageDigest: `sha256:${'c'.repeat(64)}`,
      workload: { kind: 'Deployment', name: 'web', namespace: 'shop' },
      startedAt: '2026-01-01T00:00:00.000Z',
      maxLearningMs: 30 * MIN,
    });
    expect(ids[1]).toMatchObject({ container: 'init', containerType: 'initContainers' });
    expect(ids[1]?.imageDigest).toBeUndefined();
    const lookup = new StaticPodLookup(ids);
    expect((await lookup.lookup(B))?.container).toBe('init');
    expect(await lookup.lookup('f'.repeat(64))).toBeUndefined();
  });

  it('derives owners: bare pods, ReplicaSets without the hash, other controllers', () => {
    expect(workloadOf({ metadata: { name: 'p', namespace: 'n' } })).toMatchObject({ kind: 'Pod', name: 'p' });
    expect(
      workloadOf({
        metadata: {
          name: 'p',
          namespace: 'n',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'plain', uid: 'x', controller: true },
          ],
        },
      }),
    ).toMatchObject({ kind: 'ReplicaSet', name: 'plain' });
    expect(
      workloadOf({
        metadata: {
          name: 'p',
          namespace: 'n',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'x', controller: true },
          ],
        },
      }),
    ).toMatchObject({ kind: 'DaemonSet', name: 'ds' });
  });

  it('KubePodLookup pages through the list, rate-limits refreshes and keeps the last map on failure', async () => {
    const podWith = (name: string, id: string): PodJson => ({
      metadata: { name, namespace: 'ns' },
      status: { containerStatuses: [{ name: 'c', containerID: `containerd://${id}` }] },
    });
    const calls: (string | undefined)[] = [];
    let fail = false;
    const pages: Record<string, PodPage> = {
      first: { items: [podWith('p1', A)], continue: 'tok' },
      tok: { items: [podWith('p2', B)] },
    };
    let clock = 0;
    const lookup = new KubePodLookup(
      (cont) => {
        calls.push(cont);
        if (fail) return Promise.reject(new Error('apiserver down'));
        return Promise.resolve(pages[cont ?? 'first']!);
      },
      pino({ level: 'silent' }),
      10_000,
      () => clock,
    );
    expect((await lookup.lookup(B))?.pod).toBe('p2');
    expect(calls).toEqual([undefined, 'tok']);
    // Known IDs are answered from the map; unknown ones do not re-list within the interval.
    expect((await lookup.lookup(A))?.pod).toBe('p1');
    expect(await lookup.lookup('f'.repeat(64))).toBeUndefined();
    expect(calls).toHaveLength(2);
    clock = 20_000;
    fail = true;
    expect(await lookup.lookup('f'.repeat(64))).toBeUndefined();
    expect(calls).toHaveLength(3);
    expect((await lookup.lookup(A))?.pod).toBe('p1');
  });
});
