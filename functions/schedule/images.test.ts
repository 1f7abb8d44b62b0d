import { describe, expect, it } from 'vitest';
import { digestOf, fanOutVulnerabilityScans, workloadOf, type PodLike } from './images.js';

const hex = (c: string): string => c.repeat(64);
const NOW = new Date('2026-11-26T12:00:00Z');
const opts = {
  now: NOW,
  includeNamespaces: [],
  excludeNamespaces: ['kube-system'],
  nakedPodGuardMs: 3_600_000,
};

function pod(i: number, image: string, digestChar: string, extra: Partial<PodLike> = {}): PodLike {
  return {
    metadata: {
      name: `web-${i}-abc12`,
      namespace: i % 2 ? 'prod' : 'default',
      labels: { 'pod-template-hash': '7d9f8' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web${i % 5}-7d9f8`, controller: true },
      ],
    },
    spec: { containers: [{ name: 'app', image }], imagePullSecrets: [{ name: 'regcred' }] },
    status: {
      phase: 'Running',
      startTime: '2026-11-26T11:59:00Z',
      containerStatuses: [
        { name: 'app', image, imageID: `docker-pullable://${image.split(':')[0]}@sha256:${hex(digestChar)}` },
      ],
    },
    ...extra,
  };
}

describe('vulnerability fan-out', () => {
  it('50 pods sharing 3 images give exactly 3 requests carrying every workload', () => {
    const images = [
      ['nginx:1.27', 'a'],
      ['redis:7', 'b'],
      ['busybox:1.36', 'c'],
    ] as const;
    const pods = Array.from({ length: 50 }, (_, i) => pod(i, images[i % 3]![0], images[i % 3]![1]));
    const { requests } = fanOutVulnerabilityScans(pods, opts);
    expect(requests).toHaveLength(3);
    expect(requests.map((r) => r.digest)).toEqual([
      `sha256:${hex('a')}`,
      `sha256:${hex('b')}`,
      `sha256:${hex('c')}`,
    ]);
    const nginx = requests[0]!;
    expect(nginx.image).toBe('nginx:1.27');
    // Workloads are deduplicated per (namespace, kind, name, container): pods of one Deployment count once.
    const names = nginx.workloads!.map((w) => `${w.namespace}/${w.kind}/${w.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(nginx.workloads!.every((w) => w.kind === 'Deployment')).toBe(true);
    expect(nginx.pullSecrets).toEqual([
      { namespace: 'default', name: 'regcred' },
      { namespace: 'prod', name: 'regcred' },
    ]);
  });

  it('is deterministic, so a redelivered ping yields identical requests', () => {
    const pods = Array.from({ length: 10 }, (_, i) => pod(i, 'nginx:1', i % 2 ? 'd' : 'e'));
    expect(fanOutVulnerabilityScans(pods, opts)).toEqual(fanOutVulnerabilityScans([...pods].reverse(), opts));
  });

  it('skips excluded namespaces, pods that are not running and images without a digest', () => {
    const sys = pod(1, 'x:1', 'a');
    sys.metadata!.namespace = 'kube-system';
    const pending = pod(2, 'x:1', 'a', { status: { phase: 'Pending' } });
    const noDigest = pod(4, 'x:1', 'a');
    noDigest.status!.containerStatuses![0]!.imageID = '';
    const { requests, skipped } = fanOutVulnerabilityScans([sys, pending, noDigest], opts);
    expect(requests).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([
      'namespace excluded',
      'phase Pending',
      'container app has no image digest yet',
    ]);
  });

  it('holds naked pods back until the guard time has passed', () => {
    const young = pod(1, 'x:1', 'a', {});
    young.metadata!.ownerReferences = [];
    const old = pod(3, 'y:1', 'b', {});
    old.metadata!.ownerReferences = [];
    old.status!.startTime = '2026-11-26T10:00:00Z';
    const { requests, skipped } = fanOutVulnerabilityScans([young, old], opts);
    expect(requests.map((r) => r.image)).toEqual(['y:1']);
    expect(requests[0]!.workloads![0]).toMatchObject({ kind: 'Pod', name: 'web-3-abc12' });
    expect(skipped).toEqual([{ pod: 'prod/web-1-abc12', reason: 'naked pod younger than the guard time' }]);
  });

  it('honours an include list over the exclude list', () => {
    const pods = [pod(0, 'a:1', 'a'), pod(1, 'b:1', 'b')];
    const { requests } = fanOutVulnerabilityScans(pods, { ...opts, includeNamespaces: ['prod'] });
    expect(requests.map((r) => r.image)).toEqual(['b:1']);
  });
});

describe('helpers', () => {
  it('extracts digests from the runtime formats', () => {
    expect(digestOf(`docker-pullable://nginx@sha256:${hex('a')}`)).toBe(`sha256:${hex('a')}`);
    expect(digestOf(`docker.io/library/nginx@sha256:${hex('b')}`)).toBe(`sha256:${hex('b')}`);
    expect(digestOf(`sha256:${hex('c')}`)).toBe(`sha256:${hex('c')}`);
    expect(digestOf('nginx:latest')).toBeUndefined();
    expect(digestOf(undefined)).toBeUndefined();
  });

  it('names the workload as Kubescape does', () => {
    expect(workloadOf(pod(1, 'a', 'a'))).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web1' });
    expect(
      workloadOf({
        metadata: {
          name: 'j-1',
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', controller: true }],
        },
      }),
    ).toEqual({ apiVersion: 'batch/v1', kind: 'Job', name: 'j' });
    expect(workloadOf({ metadata: { name: 'solo' } })).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'solo',
    });
  });
});
