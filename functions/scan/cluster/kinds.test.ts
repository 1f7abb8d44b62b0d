/**
 * The kinds a cluster scan reads (kinds.ts) agree with the control modules and with the scan's
 * ClusterRole in knative/: derived, not restated. Evaluated kinds come from the controls' metadata;
 * context kinds are recorded from every ClusterIndex lookup the controls make while scanning a
 * fixture that exercises them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../../storage-api/registry/manifests.js';
import { CONTROLS, scanResources } from '../index.js';
import { ClusterIndex } from '../engine/cluster-index.js';
import type { KubeObject } from '../engine/types.js';
import { KIND_CATALOG, kindInfo, kindsForControls, RBAC_KINDS } from './kinds.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ALL = CONTROLS.map((c) => c.id);
/**
 * Host facts (Kubescape's host-sensor ControlPlaneInfo; our node agent's NodeHostFacts, see
 * functions/scan/host): they come from node-agent reports, never from listing the API.
 */
const HOST_FACT_KINDS = new Set(['ControlPlaneInfo', 'NodeHostFacts']);

/** examples/cluster plus objects that make the context lookups of the other controls happen. */
function fixture(): KubeObject[] {
  const dir = join(ROOT, 'examples', 'cluster');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8'), f));
  const ns = 'prod';
  const meta = (name: string, namespace: string | undefined = ns) => ({
    name,
    ...(namespace ? { namespace } : {}),
  });
  const podSpec = {
    serviceAccountName: 'web',
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        volumeMounts: [
          { name: 's', mountPath: '/s' },
          { name: 'c', mountPath: '/c' },
          { name: 'p', mountPath: '/p' },
        ],
      },
    ],
    volumes: [
      { name: 's', secret: { secretName: 'db' } },
      { name: 'c', configMap: { name: 'cfg' } },
      { name: 'p', persistentVolumeClaim: { claimName: 'data' } },
    ],
  };
  objects.push(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...meta('hpa-target'), labels: { app: 'x' } },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: podSpec },
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('hpa'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hpa-target' },
        minReplicas: 1,
        maxReplicas: 3,
      },
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('db') },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: 'b' } },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('data'),
      spec: { storageClassName: 'fast' },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: meta('fast', undefined),
      provisioner: 'x',
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: meta('pv', undefined),
      spec: { storageClassName: 'fast' },
    },
    {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: meta('c'),
      spec: { endpointSelector: {} },
    },
    {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: meta('cc', undefined),
      spec: { endpointSelector: {} },
    },
    {
      apiVersion: 'policy/v1beta1',
      kind: 'PodSecurityPolicy',
      metadata: meta('psp', undefined),
      spec: { privileged: true },
    },
  );
  return objects as KubeObject[];
}

describe('kinds a scan reads', () => {
  const looked = new Set<string>();
  const methods = ['ofKind', 'inNamespace', 'find', 'hasKind'] as const;
  const originals = new Map<string, unknown>();

  beforeAll(() => {
    // Record every kind a control (or the index on its behalf) looks up.
    const proto = ClusterIndex.prototype as unknown as Record<
      string,
      (kind: string, ...rest: unknown[]) => unknown
    >;
    for (const m of methods) {
      const original = proto[m] as (kind: string, ...rest: unknown[]) => unknown;
      originals.set(m, original);
      proto[m] = function (this: unknown, kind: string, ...rest: unknown[]) {
        looked.add(kind);
        return original.call(this, kind, ...rest);
      };
    }
    scanResources(fixture());
  });
  afterAll(() => {
    const proto = ClusterIndex.prototype as unknown as Record<string, unknown>;
    for (const m of methods) proto[m] = originals.get(m);
  });

  it('covers every kind the controls evaluate or look up', () => {
    const read = new Set(kindsForControls(ALL).map((k) => k.kind));
    const evaluated = new Set(
      CONTROLS.flatMap((c) => c.kinds).flatMap((k) => (k === 'Subject' ? RBAC_KINDS : [k])),
    );
    expect(looked.size).toBeGreaterThan(10); // the instrumentation saw the controls' lookups
    const needed = [...new Set([...evaluated, ...looked])].filter((k) => !HOST_FACT_KINDS.has(k));
    for (const kind of needed) {
      const info = kindInfo(kind);
      expect(info, `${kind} is in KIND_CATALOG`).toBeDefined();
      // Read unless deliberately not granted (Secrets: see kinds.ts).
      if (!info?.notGranted) expect(read.has(kind), `${kind} is read`).toBe(true);
    }
    // And nothing is read that no control needs.
    for (const kind of read) expect(needed, `${kind} is needed by a control`).toContain(kind);
  });

  it('the scan ClusterRole grants exactly get/list on those kinds', () => {
    const docs = ['functions/scan.yaml', 'rbac/results.yaml'].flatMap((f) =>
      parseAllDocuments(readFileSync(join(ROOT, 'knative', 'base', 'kscape', f), 'utf8')).map(
        (d) => d.toJS() as KubeObject,
      ),
    );
    const boundRoles = docs
      .filter(
        (d) =>
          d.kind === 'ClusterRoleBinding' &&
          (d.subjects as { kind: string; name: string }[]).some(
            (s) => s.kind === 'ServiceAccount' && s.name === 'kscape-scan',
          ),
      )
      .map((b) => (b.roleRef as { name: string }).name);
    const roles = docs.filter((d) => d.kind === 'ClusterRole' && boundRoles.includes(d.metadata.name));
    expect(roles.map((r) => r.metadata.name).sort()).toEqual([
      'kscape-configscan-results-writer',
      'kscape-scan',
    ]);
    const granted = new Map<string, string[]>();
    for (const role of roles) {
      for (const rule of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
        for (const g of rule.apiGroups) {
          // The results writer role is about our own result kinds only.
          if (role.metadata.name !== 'kscape-scan') {
            expect(g).toBe('spdx.softwarecomposition.kubescape.io');
            continue;
          }
          for (const r of rule.resources) granted.set(`${g}/${r}`, [...rule.verbs].sort());
        }
      }
    }
    const wanted = kindsForControls(ALL).map((k) => `${k.group}/${k.resource}`);
    expect([...granted.keys()].sort()).toEqual([...wanted].sort());
    for (const [resource, verbs] of granted) expect(verbs, resource).toEqual(['get', 'list']);
    // Secrets: never, whatever the verb (RBAC cannot limit a read to metadata).
    expect(granted.has('/secrets')).toBe(false);
    expect(KIND_CATALOG.find((k) => k.kind === 'Secret')?.notGranted).toBe(true);
  });
});
