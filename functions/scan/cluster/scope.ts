/**
 * Scoped scans (`scope.objects`): the whole context is read and evaluated (RBAC graph, network
 * policies, services...), but only the results that depend on the requested objects are written.
 * What depends on what:
 *
 * - any object: its own result; an owned object (Pod of a ReplicaSet of a Deployment) maps to the
 *   top-level owner whose result holds it;
 * - RoleBinding / ClusterRoleBinding: every RBAC triplet that contains it, and for its
 *   ServiceAccount subjects the ServiceAccount and the workloads running as it;
 * - Role / ClusterRole: same as every binding whose roleRef points at it (and the triplets with it);
 * - ServiceAccount: itself, its triplets, the workloads running as it;
 * - Namespace, NetworkPolicy, Service, Ingress, ConfigMap, Secret, PersistentVolumeClaim: itself and
 *   every workload of that namespace (network exposure, mounts and namespace-level controls are
 *   evaluated on workloads).
 *
 * Objects of the scope that no longer exist are reported as `missing`, so their results can be
 * deleted.
 */
import type { ObjectRef } from '../../../lib/events/index.js';
import { ClusterIndex } from '../engine/cluster-index.js';
import { arr, rec, str } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';
import { workloadView } from '../engine/workload.js';
import { keyOf, objectKey } from '../results/build.js';

const NAMESPACE_WIDE = new Set([
  'Namespace',
  'NetworkPolicy',
  'Service',
  'Ingress',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'CiliumNetworkPolicy',
]);
const BINDINGS = new Set(['RoleBinding', 'ClusterRoleBinding']);
const ROLES = new Set(['Role', 'ClusterRole']);

export interface ScopeResolution {
  /** objectKey()s whose results must be rewritten (results whose refs intersect this set). */
  affected: Set<string>;
  /** Requested objects that do not exist in the cluster any more. */
  missing: ObjectRef[];
}

function serviceAccountOf(o: KubeObject): string | undefined {
  const v = workloadView(o);
  if (!v) return undefined;
  return str(v.spec.serviceAccountName) ?? str(v.spec.serviceAccount) ?? 'default';
}

export function resolveScope(refs: readonly ObjectRef[], objects: readonly KubeObject[]): ScopeResolution {
  const index = new ClusterIndex(objects);
  const byKey = new Map<string, KubeObject>();
  for (const o of objects) byKey.set(keyOf(o), o);
  const byUid = new Map<string, KubeObject>();
  for (const o of objects) if (o.metadata.uid) byUid.set(o.metadata.uid, o);
  const scanned = new Set(index.scanned);
  const workloads = index.scanned.filter((o) => workloadView(o) !== undefined);

  const affected = new Set<string>();
  const missing: ObjectRef[] = [];

  /** The scanned object holding this one (itself when not owned). */
  const root = (o: KubeObject): KubeObject => {
    let cur = o;
    for (let depth = 0; depth < 8 && !scanned.has(cur); depth++) {
      const owner = arr(cur.metadata.ownerReferences)
        .map(rec)
        .map((r) => {
          if (!r) return undefined;
          const uid = str(r.uid);
          if (uid && byUid.has(uid)) return byUid.get(uid);
          const kind = str(r.kind);
          const name = str(r.name);
          return kind && name
            ? (index.find(kind, cur.metadata.namespace, name) ?? index.find(kind, undefined, name))
            : undefined;
        })
        .find((x) => x !== undefined);
      if (!owner) break;
      cur = owner;
    }
    return cur;
  };

  const addServiceAccount = (namespace: string | undefined, name: string) => {
    affected.add(objectKey('v1', namespace, 'ServiceAccount', name));
    for (const w of workloads)
      if (w.metadata.namespace === namespace && serviceAccountOf(w) === name) affected.add(keyOf(w));
  };
  const addBinding = (b: KubeObject) => {
    affected.add(keyOf(b));
    for (const s of arr(b.subjects)) {
      const subj = rec(s);
      if (str(subj?.kind) !== 'ServiceAccount') continue;
      const name = str(subj?.name);
      if (name) addServiceAccount(str(subj?.namespace) ?? b.metadata.namespace, name);
    }
  };

  for (const ref of refs) {
    const key = objectKey(ref.apiVersion, ref.namespace, ref.kind, ref.name);
    const obj = byKey.get(key);
    affected.add(key);
    if (!obj) {
      missing.push(ref);
      continue;
    }
    affected.add(keyOf(root(obj)));
    if (BINDINGS.has(obj.kind)) addBinding(obj);
    else if (ROLES.has(obj.kind)) {
      for (const bk of BINDINGS) {
        for (const b of index.ofKind(bk)) {
          if (index.roleOf(b) === obj) addBinding(b);
        }
      }
    } else if (obj.kind === 'ServiceAccount') addServiceAccount(obj.metadata.namespace, obj.metadata.name);
    else if (NAMESPACE_WIDE.has(obj.kind)) {
      const ns = obj.kind === 'Namespace' ? obj.metadata.name : obj.metadata.namespace;
      for (const w of workloads) if (w.metadata.namespace === ns) affected.add(keyOf(w));
    }
  }
  return { affected, missing };
}
