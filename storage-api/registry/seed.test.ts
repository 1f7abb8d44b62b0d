/**
 * The sandbox seed (examples/cluster/) must load and be servable: every object parses, its kind
 * is a built-in the registry serves, scopes are right, references resolve, and each pod carries
 * the digest-pinned imageIDs the vulnerability fan-out needs.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinResources, findByKind, loadManifests } from './index.js';
import type { KubeObject } from './types.js';

const SEED = fileURLToPath(new URL('../../examples/cluster/', import.meta.url));
const files = await loadManifests(SEED);
const objects = files.flatMap((f) => f.objects);
const defs = builtinResources();

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const ofKind = (kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string, ns?: string): KubeObject | undefined =>
  objects.find(
    (o) => o.kind === kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns),
  );
const podSpecs = (o: KubeObject): Json[] => {
  const spec = obj(o.spec);
  if (o.kind === 'Pod') return [spec];
  if (o.kind === 'CronJob') return [obj(obj(obj(obj(spec.jobTemplate).spec).template).spec)];
  return [obj(obj(spec.template).spec)];
};
const containers = (o: KubeObject): Json[] => podSpecs(o).flatMap((s) => arr(s.containers));

describe('examples/cluster', () => {
  it('loads every file', () => {
    expect(files.map((f) => f.file)).toEqual([
      '00-namespaces.yaml',
      '01-nodes.yaml',
      '10-rbac.yaml',
      '20-config.yaml',
      '30-prod.yaml',
      '40-default.yaml',
      '50-kube-system.yaml',
    ]);
    for (const f of files) expect(f.objects.length, f.file).toBeGreaterThan(0);
  });

  it('only uses kinds the sandbox serves, with the right scope', () => {
    for (const o of objects) {
      const def = findByKind(defs, o.apiVersion, o.kind);
      expect(def, `${o.apiVersion} ${o.kind}`).toBeDefined();
      if (def!.namespaced) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeTruthy();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
    }
  });

  it('has no duplicate objects and only existing namespaces', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const namespaces = new Set(ofKind('Namespace').map((n) => n.metadata.name));
    expect([...namespaces].sort()).toEqual(['default', 'kube-system', 'kubescape', 'prod']);
    for (const o of objects)
      if (o.metadata.namespace) expect(namespaces.has(o.metadata.namespace), o.metadata.name).toBe(true);
  });

  it('resolves ownerReferences, service accounts, nodes, config and role refs', () => {
    for (const o of objects) {
      for (const ref of arr(o.metadata.ownerReferences)) {
        const owner = named(String(ref.kind), String(ref.name), o.metadata.namespace);
        expect(owner, `${o.metadata.name} → ${String(ref.kind)}/${String(ref.name)}`).toBeDefined();
        expect(owner!.metadata.uid).toBe(ref.uid);
      }
    }
    for (const p of ofKind('Pod')) {
      expect(named('Node', String(obj(p.spec).nodeName)), p.metadata.name).toBeDefined();
      const sa = String(obj(p.spec).serviceAccountName ?? 'default');
      expect(named('ServiceAccount', sa, p.metadata.namespace), `${p.metadata.name} sa ${sa}`).toBeDefined();
    }
    for (const b of [...ofKind('RoleBinding'), ...ofKind('ClusterRoleBinding')]) {
      const ref = obj(b.roleRef);
      const role =
        ref.kind === 'Role'
          ? named('Role', String(ref.name), b.metadata.namespace)
          : named('ClusterRole', String(ref.name));
      expect(role, `${b.metadata.name} → ${String(ref.name)}`).toBeDefined();
    }
    for (const o of objects)
      for (const c of containers(o))
        for (const e of arr(c.envFrom)) {
          const cm = obj(e.configMapRef).name;
          if (cm) expect(named('ConfigMap', String(cm), o.metadata.namespace), String(cm)).toBeDefined();
        }
  });

  it('gives every pod container a digest imageID, and shares digests across pods', () => {
    const ids: string[] = [];
    for (const p of ofKind('Pod')) {
      const statuses = arr(obj(p.status).containerStatuses);
      expect(statuses.map((s) => s.name).sort(), p.metadata.name).toEqual(
        containers(p)
          .map((c) => c.name)
          .sort(),
      );
      for (const s of statuses) {
        expect(String(s.imageID), p.metadata.name).toMatch(
          /^[a-z0-9.-]+(\/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$/,
        );
        ids.push(String(s.imageID));
      }
    }
    // Fewer distinct digests than containers: the fan-out dedupes scans per digest.
    expect(new Set(ids).size).toBeLessThan(ids.length);
    expect(new Set(ids).size).toBeGreaterThanOrEqual(5);
  });

  it('demonstrates the intended findings', () => {
    const all = objects.flatMap((o) => containers(o).map((c) => ({ o, c, sc: obj(c.securityContext) })));
    expect(all.some(({ sc }) => sc.privileged === true)).toBe(true);
    expect(all.some(({ sc }) => sc.runAsUser === 0)).toBe(true);
    expect(all.some(({ c }) => obj(c.resources).limits === undefined)).toBe(true);
    expect(objects.some((o) => podSpecs(o).some((s) => s.hostNetwork === true))).toBe(true);
    expect(objects.some((o) => podSpecs(o).some((s) => arr(s.volumes).some((v) => v.hostPath)))).toBe(true);
    // The over-privileged binding.
    const crb = named('ClusterRoleBinding', 'ci-deployer-cluster-admin')!;
    expect(obj(crb.roleRef).name).toBe('cluster-admin');
    expect(arr(crb.subjects)[0]).toMatchObject({ kind: 'ServiceAccount', name: 'ci-deployer' });
    // The hardened one.
    const api = named('Deployment', 'payments-api', 'prod')!;
    const c = containers(api)[0]!;
    expect(obj(c.securityContext)).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(obj(obj(c.resources).limits)).toMatchObject({ cpu: '500m', memory: '256Mi' });
    expect(podSpecs(api)[0]).toMatchObject({
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true },
    });
    expect(ofKind('NetworkPolicy').length).toBeGreaterThan(0);
    expect(ofKind('NetworkPolicy').every((n) => n.metadata.namespace === 'prod')).toBe(true);
    expect(ofKind('Node')).toHaveLength(2);
  });

  it('builtin summaries render the seed like kubectl', () => {
    const pod = defs.find((d) => d.plural === 'pods')!;
    expect(pod.summarize!(named('Pod', 'legacy-web-5f6b7c8d9e-fghij')!)).toMatchObject({
      ready: '0/1',
      status: 'CrashLoopBackOff',
      restarts: 7,
    });
    expect(pod.summarize!(named('Pod', 'db-backup-29403720-q8v4n')!)).toMatchObject({ status: 'Completed' });
    const deploy = defs.find((d) => d.plural === 'deployments')!;
    expect(deploy.summarize!(named('Deployment', 'legacy-web')!)).toMatchObject({
      ready: '1/2',
      available: 1,
    });
    const node = defs.find((d) => d.plural === 'nodes')!;
    expect(node.summarize!(named('Node', 'control-plane-1')!)).toMatchObject({
      status: 'Ready',
      roles: 'control-plane',
      version: 'v1.30.2',
    });
    const svc = defs.find((d) => d.plural === 'services')!;
    expect(svc.summarize!(named('Service', 'legacy-web')!)).toMatchObject({
      type: 'NodePort',
      ports: '80:30080/TCP',
    });
  });
});
