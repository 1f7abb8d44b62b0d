import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, LABELS, PLURALS } from '../../lib/api/index.js';
import { liveState, planVulnerabilityGc, type StoredResult, type WorkloadLike } from './gc.js';
import type { PodLike } from './images.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const now = new Date('2026-11-27T12:00:00Z');
const hour = 3_600_000;

const deployment = (ns: string, name: string, containers: string[]): WorkloadLike => ({
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: { template: { spec: { containers: containers.map((c) => ({ name: c })) } } },
});

const pod = (
  ns: string,
  name: string,
  owner: { kind: string; name: string } | undefined,
  containers: Record<string, string>,
): PodLike => ({
  metadata: {
    name,
    namespace: ns,
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, controller: true }] }
      : {}),
    ...(owner?.kind === 'ReplicaSet'
      ? { labels: { 'pod-template-hash': owner.name.split('-').pop()! } }
      : {}),
  },
  spec: { containers: Object.keys(containers).map((name) => ({ name })) },
  status: {
    phase: 'Running',
    containerStatuses: Object.entries(containers).map(([name, d]) => ({
      name,
      imageID: `registry.local/app@${d}`,
    })),
  },
});

const vms = (name: string, wlid: string, container: string): StoredResult => ({
  plural: PLURALS.VulnerabilityManifestSummary,
  namespace: 'default',
  name,
  labels: {},
  annotations: { [ANNOTATIONS.wlid]: wlid, [ANNOTATIONS.workloadContainerName]: container },
});

const imageResult = (
  plural: string,
  name: string,
  digest: string,
  created = '2026-11-01T00:00:00Z',
): StoredResult => ({
  plural,
  namespace: 'kubescape',
  name,
  creationTimestamp: created,
  labels: {},
  annotations: { [ANNOTATIONS.imageId]: `registry.local/app@${digest}` },
});

describe('liveState', () => {
  it('keeps the containers of workloads without pods and the digests only of pods', () => {
    const cron: WorkloadLike = {
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: 'ops' },
      spec: {
        jobTemplate: {
          spec: {
            template: { spec: { containers: [{ name: 'dump' }], initContainers: [{ name: 'wait' }] } },
          },
        },
      },
    };
    const live = liveState(
      [deployment('default', 'web', ['nginx']), cron],
      [
        pod('default', 'web-5d8f-abcde', { kind: 'ReplicaSet', name: 'web-5d8f' }, { nginx: D('a') }),
        pod('default', 'debug', undefined, { sh: D('b') }),
      ],
    );
    expect([...live.containers].sort()).toEqual([
      'default/deployment/web/nginx',
      'default/pod/debug/sh',
      'ops/cronjob/backup/dump',
      'ops/cronjob/backup/wait',
    ]);
    expect([...live.digests].sort()).toEqual([D('a'), D('b')]);
  });
});

describe('planVulnerabilityGc', () => {
  const live = liveState(
    [deployment('default', 'web', ['nginx'])],
    [pod('default', 'web-5d8f-x', { kind: 'ReplicaSet', name: 'web-5d8f' }, { nginx: D('a') })],
  );

  it('deletes per-container results whose workload or container is gone, keeps the others', () => {
    const keep = vms('deployment-web-nginx', 'wlid://cluster-c/namespace-default/deployment-web', 'nginx');
    const goneContainer = vms(
      'deployment-web-sidecar',
      'wlid://cluster-c/namespace-default/deployment-web',
      'sidecar',
    );
    const goneWorkload = vms(
      'deployment-old-nginx',
      'wlid://cluster-c/namespace-default/deployment-old',
      'nginx',
    );
    const plan = planVulnerabilityGc([keep, goneContainer, goneWorkload], live, {
      now,
      graceMs: hour,
      lastSeen: new Map(),
    });
    expect(plan.delete.map((d) => [d.result.name, d.reason])).toEqual([
      ['deployment-web-sidecar', 'workload-container-gone'],
      ['deployment-old-nginx', 'workload-container-gone'],
    ]);
  });

  it('treats filtered SBOMs and relevant-only manifests as per-container results', () => {
    const filteredSbom: StoredResult = {
      ...vms('f', 'wlid://cluster-c/namespace-default/deployment-old', 'nginx'),
      plural: PLURALS.SBOMSPDXv2p3Filtered,
    };
    const relevantVm: StoredResult = {
      ...vms('r', 'wlid://cluster-c/namespace-default/deployment-web', 'nginx'),
      plural: PLURALS.VulnerabilityManifest,
      labels: { [LABELS.context]: 'filtered' },
    };
    const plan = planVulnerabilityGc([filteredSbom, relevantVm], live, {
      now,
      graceMs: hour,
      lastSeen: new Map(),
    });
    expect(plan.delete.map((d) => d.result.name)).toEqual(['f']);
  });

  it('keeps image results while the digest runs or within the grace period, then deletes them', () => {
    const running = imageResult(PLURALS.SBOMSPDXv2p3, 'running', D('a'));
    const recentlySeen = imageResult(PLURALS.VulnerabilityManifest, 'recent', D('c'));
    const longGone = imageResult(PLURALS.SBOMSPDXv2p3, 'old', D('d'));
    const neverSeenButNew = imageResult(PLURALS.VulnerabilityManifest, 'new', D('e'), '2026-11-27T11:30:00Z');
    const plan = planVulnerabilityGc([running, recentlySeen, longGone, neverSeenButNew], live, {
      now,
      graceMs: hour,
      lastSeen: new Map([
        [D('c'), new Date(now.getTime() - hour / 2)],
        [D('d'), new Date(now.getTime() - 2 * hour)],
      ]),
    });
    expect(plan.delete.map((d) => [d.result.name, d.reason])).toEqual([['old', 'image-not-running']]);
    expect(plan.inGrace).toBe(2);
    expect(plan.collectedDigests).toEqual([D('d')]);
  });

  it('never deletes user-managed results or results it cannot attribute', () => {
    const user: StoredResult = {
      ...vms('user', 'wlid://cluster-c/namespace-default/deployment-old', 'nginx'),
      annotations: {
        [ANNOTATIONS.wlid]: 'wlid://cluster-c/namespace-default/deployment-old',
        [ANNOTATIONS.workloadContainerName]: 'nginx',
        [ANNOTATIONS.managedBy]: 'User',
      },
    };
    const noKey: StoredResult = {
      plural: PLURALS.SBOMSPDXv2p3,
      namespace: 'kubescape',
      name: 'nokey',
      labels: {},
      annotations: {},
    };
    const badWlid = vms('bad', 'not-a-wlid', 'nginx');
    const plan = planVulnerabilityGc([user, noKey, badWlid], live, { now, graceMs: 0, lastSeen: new Map() });
    expect(plan.delete).toEqual([]);
    expect(plan.unattributed.map((r) => r.name)).toEqual(['nokey', 'bad']);
  });
});
