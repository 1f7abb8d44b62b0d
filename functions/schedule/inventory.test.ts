import { describe, expect, it } from 'vitest';
import { CATALOG, EVENT_TYPES, type CatalogEvent } from '../../lib/events/index.js';
import { loadScheduleConfig } from './config.js';
import { createScheduleFunction } from './index.js';
import { buildInventory, MAX_INVENTORY_ITEMS } from './inventory.js';
import { pingEvent, recordingContext } from './testing.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('cluster inventory', () => {
  const snapshot = {
    nodes: [
      {
        metadata: {
          name: 'node-1',
          labels: { 'kubernetes.io/os': 'linux' },
          creationTimestamp: new Date('2026-01-01T00:00:00Z'),
        },
        status: {
          nodeInfo: { kubeletVersion: 'v1.30.1', osImage: 'Debian 12', architecture: 'amd64' },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
    ],
    namespaces: [{ metadata: { name: 'prod' } }, { metadata: { name: 'default' } }],
    workloads: [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod', uid: 'u1' } },
    ],
    pods: [
      {
        metadata: {
          name: 'web-1',
          namespace: 'prod',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'web-x', controller: true }],
        },
        spec: {
          containers: [{ name: 'app', image: 'nginx:1.25' }],
          initContainers: [{ name: 'init', image: 'busybox:1' }],
        },
        status: { containerStatuses: [{ name: 'app', imageID: `docker.io/library/nginx@${D('a')}` }] },
      },
      {
        metadata: {
          name: 'web-2',
          namespace: 'prod',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'web-x', controller: true }],
        },
        spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
        status: { containerStatuses: [{ name: 'app', imageID: `docker-pullable://nginx@${D('a')}` }] },
      },
      {
        metadata: { name: 'debug', namespace: 'default' },
        spec: { containers: [{ name: 'sh', image: 'alpine:3' }] },
      },
    ],
  };

  it('nodes, sorted namespaces, controllers plus naked pods, distinct images with digests; valid catalog data', () => {
    const inv = buildInventory(snapshot, 'prod-eu', new Date('2026-11-27T01:00:00Z'));
    expect(inv).toEqual({
      clusterName: 'prod-eu',
      collectedAt: '2026-11-27T01:00:00.000Z',
      nodes: [
        {
          name: 'node-1',
          labels: { 'kubernetes.io/os': 'linux' },
          kubeletVersion: 'v1.30.1',
          osImage: 'Debian 12',
          architecture: 'amd64',
          ready: true,
          creationTimestamp: '2026-01-01T00:00:00.000Z',
        },
      ],
      namespaces: ['default', 'prod'],
      workloads: [
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'prod', name: 'web', uid: 'u1' },
        { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'debug' },
      ],
      images: [{ image: 'alpine:3' }, { image: 'busybox:1' }, { image: 'nginx:1.25', digest: D('a') }],
    });
    expect(CATALOG[EVENT_TYPES.clusterInventoried].safeParse(inv).success).toBe(true);
  });

  it('caps every list and says so', () => {
    const many = Array.from({ length: MAX_INVENTORY_ITEMS + 5 }, (_, i) => ({
      metadata: { name: `ns-${i}` },
    }));
    const inv = buildInventory({ ...snapshot, namespaces: many }, 'c', new Date());
    expect(inv.namespaces).toHaveLength(MAX_INVENTORY_ITEMS);
    expect(inv.truncated).toBe(true);
    expect(buildInventory(snapshot, 'c', new Date()).truncated).toBeUndefined();
  });
});

describe('posture ping → inventory', () => {
  const ping = (id: string) => pingEvent('posture', id, 'kscape-posture-daily');
  const ctx = recordingContext;
  const config = loadScheduleConfig({});
  const inv = buildInventory(
    { nodes: [], namespaces: [{ metadata: { name: 'default' } }], workloads: [], pods: [] },
    'c',
    new Date('2026-11-27T01:00:00Z'),
  );

  it('emits io.kubescape.cluster.inventoried with an id stable across redeliveries, besides the scan request', async () => {
    const fn = createScheduleFunction({ config, inventory: async () => inv });
    const a: CatalogEvent[] = [];
    const b: CatalogEvent[] = [];
    const reply = await fn.handle(ping('p1'), ctx(a));
    await fn.handle(ping('p1'), ctx(b));
    expect(reply?.type).toBe(EVENT_TYPES.configScanRequested);
    expect(a.map((e) => e.type)).toEqual([EVENT_TYPES.clusterInventoried]);
    expect(a[0]!.data).toEqual(inv);
    expect(b[0]!.id).toBe(a[0]!.id);
  });

  it('a failed listing does not hold back the scan request', async () => {
    const fn = createScheduleFunction({
      config,
      inventory: async () => {
        throw new Error('nodes is forbidden');
      },
    });
    const emitted: CatalogEvent[] = [];
    expect((await fn.handle(ping('p2'), ctx(emitted)))?.type).toBe(EVENT_TYPES.configScanRequested);
    expect(emitted).toEqual([]);
  });
});
