/**
 * Scoped scans (`scope.objects`): only what the requested objects affect is read, evaluated and
 * written.
 *
 * Reading (`scopeNamespaces`): the RBAC graph is read whole first (a binding anywhere may grant
 * the subjects in scope something); then namespaced kinds are listed only in the namespaces the
 * scope touches, cluster-scoped kinds (namespaces, nodes, webhooks, storage classes...) whole.
 * A requested cluster-scoped object other than RBAC objects and Namespaces (a webhook, a
 * cluster-wide network policy, a PersistentVolume...) can affect any namespace: then everything is
 * read.
 *
 * Evaluating and writing (`resolveScope`, `affects`): what depends on what:
 *
 * - any object: its own result; an owned object (Pod of a ReplicaSet of a Deployment) maps to the
 *   top-level owner whose result holds it;
 * - RoleBinding / ClusterRoleBinding: every RBAC subject it binds (all the subject's triplets), and
 *   for its ServiceAccount subjects the ServiceAccount and the workloads running as it;
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
import type { KubeObject, ScanResource } from '../engine/types.js';
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

/** Cluster-scoped kinds whose dependants are found without reading every namespace. */
const NARROW_CLUSTER_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/**
 * The namespaces whose namespaced objects a scoped scan must read, given the RBAC objects (read
 * whole beforehand); undefined when the scope can affect every namespace.
 */
export function scopeNamespaces(
  refs: readonly ObjectRef[],
  rbacObjects: readonly KubeObject[],
): string[] | undefined {
  const out = new Set<string>();
  const index = new ClusterIndex(rbacObjects);
  const addBinding = (b: KubeObject) => {
    if (b.metadata.namespace) out.add(b.metadata.namespace);
    for (const s of arr(b.subjects)) {
      const subj = rec(s);
      if (str(subj?.kind) !== 'ServiceAccount') continue;
      const ns = str(subj?.namespace) ?? b.metadata.namespace;
      if (ns) out.add(ns);
    }
  };
  for (const ref of refs) {
    if (ref.namespace) out.add(ref.namespace);
    else if (!NARROW_CLUSTER_KINDS.has(ref.kind)) return undefined;
    if (ref.kind === 'Namespace') out.add(ref.name);
    const obj = index.find(ref.kind, ref.namespace, ref.name);
    if (!obj) continue;
    if (BINDINGS.has(ref.kind)) addBinding(obj);
    else if (ROLES.has(ref.kind)) {
      for (const bk of BINDINGS) for (const b of index.ofKind(bk)) if (index.roleOf(b) === obj) addBinding(b);
    }
  }
  return [...out].sort();
}

/** Whether a resource of the engine must be evaluated for a scoped scan (see resolveScope). */
export function affects(affected: ReadonlySet<string>): (resource: ScanResource) => boolean {
  return (resource) => {
    const s = resource.subject;
    if (!s) return affected.has(keyOf(resource.object));
    // An RBAC subject: when it, or any binding or role granting it something, is affected.
    const apiVersion = s.kind === 'ServiceAccount' ? 'v1' : 'rbac.authorization.k8s.io/v1';
    if (affected.has(objectKey(apiVersion, s.namespace, s.kind, s.name))) return true;
    return s.relatedObjects.some((o) => affected.has(keyOf(o)));
  };
}
