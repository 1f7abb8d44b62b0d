import { describe, expect, it } from 'vitest';
import { PatchError, applyStrategicMergePatch } from './index.js';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web' }, finalizers: ['a', 'b'] },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'nginx:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80 }],
      },
      { name: 'sidecar', image: 'envoy:1' },
    ],
    volumes: [{ name: 'v1', emptyDir: {} }],
    tolerations: [{ key: 'x', operator: 'Exists' }],
  },
});

describe('applyStrategicMergePatch', () => {
  it('merges maps and deletes with null (kubectl label / annotate)', () => {
    const out = applyStrategicMergePatch(pod(), { metadata: { labels: { tier: 'front', app: null } } });
    expect(out.metadata.labels).toEqual({ tier: 'front' });
  });

  it('merges containers by name with $setElementOrder (kubectl apply)', () => {
    const out = applyStrategicMergePatch(pod(), {
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
        containers: [
          {
            name: 'web',
            image: 'nginx:2',
            '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }],
            env: [{ name: 'A', value: '9' }],
          },
        ],
      },
    });
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['sidecar', 'envoy:1'],
      ['web', 'nginx:2'],
    ]);
    expect(out.spec.containers[1]!.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: '9' },
    ]);
    expect(out.spec.containers[1]!.ports).toEqual([{ containerPort: 80 }]);
    // Input untouched.
    expect(pod().spec.containers[0]!.image).toBe('nginx:1');
  });

  it('adds and deletes list items by merge key', () => {
    const out = applyStrategicMergePatch(pod(), {
      spec: {
        containers: [
          { $patch: 'delete', name: 'sidecar' },
          { name: 'new', image: 'busybox' },
        ],
        volumes: [{ name: 'v2', emptyDir: {} }],
      },
    });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['web', 'new']);
    expect(out.spec.volumes.map((v) => v.name)).toEqual(['v1', 'v2']);
  });

  it('replaces lists without a merge strategy, and with $patch: replace', () => {
    const out = applyStrategicMergePatch(pod(), {
      spec: { tolerations: [{ key: 'y', operator: 'Exists' }] },
    });
    expect(out.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
    const rep = applyStrategicMergePatch(pod(), {
      spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] },
    });
    expect(rep.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('unions primitive merge lists and deletes from them', () => {
    expect(
      applyStrategicMergePatch(pod(), { metadata: { finalizers: ['b', 'c'] } }).metadata.finalizers,
    ).toEqual(['a', 'b', 'c']);
    expect(
      applyStrategicMergePatch(pod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata
        .finalizers,
    ).toEqual(['b']);
  });

  it('honours $retainKeys and map-level $patch', () => {
    const d = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    expect(
      applyStrategicMergePatch(d, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }).spec
        .strategy,
    ).toEqual({ type: 'Recreate' });
    expect(
      applyStrategicMergePatch(d, { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } }).spec
        .strategy,
    ).toEqual({ type: 'Recreate' });
    expect(applyStrategicMergePatch(d, { spec: { strategy: { $patch: 'delete' } } }).spec).toEqual({});
  });

  it('merges Service ports by port', () => {
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    expect(
      applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }).spec.ports,
    ).toEqual([{ port: 80, targetPort: 9090 }, { port: 443 }]);
  });

  it('rejects bad patches', () => {
    expect(() => applyStrategicMergePatch(pod(), [])).toThrow(PatchError);
    expect(() => applyStrategicMergePatch(pod(), { spec: { $patch: 'frobnicate' } })).toThrow(PatchError);
    expect(() => applyStrategicMergePatch(pod(), { $patch: 'delete' })).toThrow(PatchError);
  });
});
