/**
 * Everything a control may need besides the resource it evaluates, indexed once per scan so that
 * evaluation is a single pass over resources with O(1) lookups (no control re-scans the object
 * list). Built from the same object list that is scanned.
 */
import { arr, get, objectId, rec, resourceId, str } from './objects.js';
import type { BoundRole, KubeObject, ScanResource, SubjectVector } from './types.js';
import { isWorkloadKind, workloadView, type WorkloadView } from './workload.js';

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';

function nsKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const NO_OBJECTS: readonly KubeObject[] = Object.freeze([]);
const NO_PAIRS: readonly BoundRole[] = Object.freeze([]);

let nextSerial = 0;

export class ClusterIndex {
  /**
   * Identifies this index (this scan) to per-scan engine caches without them holding a reference
   * to it: a cache that outlives its scan then keeps none of the scan's objects alive.
   */
  readonly serial = nextSerial++;
  /** Every object given to the index, in input order. */
  readonly objects: readonly KubeObject[];
  /** Objects to scan: all objects except those owned by another object of the set. */
  readonly scanned: readonly KubeObject[];
  /** Objects skipped because their owner is in the set (ReplicaSet of a Deployment, Pod of a ReplicaSet...). */
  readonly ownedSkipped: readonly KubeObject[];

  private readonly byKind = new Map<string, KubeObject[]>();
  /**
   * kind → namespace ('' = cluster-scoped) → objects / name → object. Nested maps rather than
   * composite string keys: controls look objects up per resource (the ConfigMap a volume mounts,
   * the Service selecting a pod...), and building a key string per lookup was a measurable share
   * of a 10k-workload scan's time and garbage.
   */
  private readonly byKindNs = new Map<string, Map<string, KubeObject[]>>();
  private readonly byKindNsName = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly namespaceNames = new Set<string>();
  /**
   * Whether two resources other than a ServiceAccount and its RBAC subject may have the same
   * resource ID: two objects sharing kind, namespace and name (the same object listed twice, or
   * under two API versions), or objects of the subject kinds User/Group.
   */
  readonly idsMayRecur: boolean = false;
  private subjectsCache: SubjectVector[] | undefined;
  private bindingsBySaCache: Map<string, Map<string, BoundRole[]>> | undefined;

  constructor(objects: readonly KubeObject[]) {
    this.objects = objects;
    const uids = new Set<string>();
    for (const o of objects) {
      const ns = o.metadata.namespace;
      push(this.byKind, o.kind, o);
      let perNs = this.byKindNs.get(o.kind);
      if (!perNs) this.byKindNs.set(o.kind, (perNs = new Map()));
      push(perNs, ns ?? '', o);
      let named = this.byKindNsName.get(o.kind);
      if (!named) this.byKindNsName.set(o.kind, (named = new Map()));
      let inNs = named.get(ns ?? '');
      if (!inNs) named.set(ns ?? '', (inNs = new Map()));
      if (inNs.has(o.metadata.name) || o.kind === 'User' || o.kind === 'Group')
        (this as { idsMayRecur: boolean }).idsMayRecur = true;
      inNs.set(o.metadata.name, o);
      if (o.metadata.uid) uids.add(o.metadata.uid);
      if (o.kind === 'Namespace') this.namespaceNames.add(o.metadata.name);
      else if (ns) this.namespaceNames.add(ns);
    }
    const scanned: KubeObject[] = [];
    const skipped: KubeObject[] = [];
    for (const o of objects) {
      const owned = arr(o.metadata.ownerReferences).some((ref) => {
        const r = rec(ref);
        if (!r) return false;
        if (typeof r.uid === 'string' && r.uid && uids.has(r.uid)) return true;
        const kind = str(r.kind);
        const name = str(r.name);
        // Owners of namespaced objects are in the same namespace or cluster-scoped.
        return (
          !!kind &&
          !!name &&
          (this.find(kind, o.metadata.namespace, name) !== undefined ||
            this.find(kind, undefined, name) !== undefined)
        );
      });
      (owned ? skipped : scanned).push(o);
    }
    this.scanned = scanned;
    this.ownedSkipped = skipped;
  }

  ofKind(kind: string): readonly KubeObject[] {
    return this.byKind.get(kind) ?? NO_OBJECTS;
  }

  inNamespace(kind: string, namespace: string | undefined): readonly KubeObject[] {
    return this.byKindNs.get(kind)?.get(namespace ?? '') ?? NO_OBJECTS;
  }

  find(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byKindNsName
      .get(kind)
      ?.get(namespace ?? '')
      ?.get(name);
  }

  private readonly memos = new Map<string, unknown>();

  /** Per-scan memo for derived indexes that controls compute lazily (key must be unique per meaning). */
  memo<T>(key: string, compute: () => T): T {
    const hit = this.memos.get(key);
    if (hit !== undefined || this.memos.has(key)) return hit as T;
    const v = compute();
    this.memos.set(key, v);
    return v;
  }

  /** Whether any object of this kind was collected (lets controls tell "none exists" from "not collected"). */
  hasKind(kind: string): boolean {
    return this.byKind.has(kind);
  }

  /** Names of Namespace objects plus namespaces of namespaced objects. */
  namespaces(): ReadonlySet<string> {
    return this.namespaceNames;
  }

  /** Workloads (scanned set) of a namespace with their pod views. */
  workloadsIn(namespace: string | undefined): WorkloadView[] {
    const out: WorkloadView[] = [];
    for (const kind of ['Pod', 'Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob']) {
      for (const o of this.inNamespace(kind, namespace)) {
        const v = workloadView(o);
        if (v) out.push(v);
      }
    }
    return out;
  }

  /** The Role/ClusterRole a binding's roleRef resolves to. */
  roleOf(binding: KubeObject): KubeObject | undefined {
    const ref = rec(get(binding, 'roleRef'));
    const kind = str(ref?.kind);
    const name = str(ref?.name);
    if (!name) return undefined;
    if (kind === 'ClusterRole') return this.find('ClusterRole', undefined, name);
    if (kind === 'Role' && binding.kind === 'RoleBinding')
      return this.find('Role', binding.metadata.namespace, name);
    return undefined;
  }

  /**
   * RBAC subject vectors (opa-utils `subject-role-rolebinding` aggregator), one per distinct
   * subject, each with its (binding, role) pairs flattened into relatedObjects.
   */
  subjects(): readonly SubjectVector[] {
    if (this.subjectsCache) return this.subjectsCache;
    const byKey = new Map<string, SubjectVector>();
    for (const bkind of ['RoleBinding', 'ClusterRoleBinding']) {
      for (const binding of this.ofKind(bkind)) {
        const role = this.roleOf(binding);
        if (!role) continue;
        const seen = new Set<string>();
        for (const s of arr(binding.subjects)) {
          const subj = rec(s);
          const kind = str(subj?.kind);
          const name = str(subj?.name);
          if (!subj || !kind || !name) continue;
          const namespace =
            kind === 'ServiceAccount' ? (str(subj.namespace) ?? binding.metadata.namespace) : undefined;
          const key = `${kind}|${nsKey(namespace, name)}`;
          if (seen.has(key)) continue; // one pair per binding even if listed twice
          seen.add(key);
          let vector = byKey.get(key);
          if (!vector) {
            vector = {
              kind,
              name,
              ...(namespace ? { namespace } : {}),
              apiGroup: str(subj.apiGroup) ?? (kind === 'ServiceAccount' ? '' : 'rbac.authorization.k8s.io'),
              relatedObjects: [],
            };
            byKey.set(key, vector);
          }
          vector.relatedObjects.push(binding, role);
        }
      }
    }
    this.subjectsCache = [...byKey.values()];
    return this.subjectsCache;
  }

  /** (binding, role) pairs granted to a ServiceAccount. */
  bindingsOfServiceAccount(namespace: string | undefined, name: string): readonly BoundRole[] {
    // namespace → name → pairs: looked up per workload by several controls, no key string per call.
    if (!this.bindingsBySaCache) {
      const map = new Map<string, Map<string, BoundRole[]>>();
      for (const v of this.subjects()) {
        if (v.kind !== 'ServiceAccount') continue;
        const pairs: BoundRole[] = [];
        for (let i = 0; i + 1 < v.relatedObjects.length; i += 2) {
          pairs.push({
            binding: v.relatedObjects[i] as KubeObject,
            role: v.relatedObjects[i + 1] as KubeObject,
          });
        }
        let inNs = map.get(v.namespace ?? '');
        if (!inNs) map.set(v.namespace ?? '', (inNs = new Map()));
        inNs.set(v.name, pairs);
      }
      this.bindingsBySaCache = map;
    }
    return this.bindingsBySaCache.get(namespace ?? '')?.get(name) ?? NO_PAIRS;
  }

  /** Every resource to evaluate: scanned objects, then RBAC subject vectors. */
  *resources(): Generator<ScanResource> {
    for (const o of this.scanned) {
      const workload = workloadView(o);
      const kind = kindSlot(o.kind);
      yield workload
        ? {
            id: objectId(o),
            matchKind: o.kind,
            kindSlot: kind,
            object: o,
            workload,
            sharedFindings: undefined,
          }
        : { id: objectId(o), matchKind: o.kind, kindSlot: kind, object: o, sharedFindings: undefined };
    }
    for (const s of this.subjects()) yield subjectResource(s);
  }
}

/**
 * An empty index kept for the life of the module, only for its hidden class. V8 holds the map
 * (hidden class) of an instance weakly from its class: when a scan's index dies, so does the map,
 * and every optimized function that embeds it — the index accessors and, through inlining, most
 * rule code — is thrown away and recompiled by the next scan (on a 10k-workload scan ~60 of ~100
 * recompilations per scan, ~15% of the scan's CPU). Keeping one instance alive keeps the map, so
 * a process that scans repeatedly (the scan function) keeps its optimized code. Holds no objects.
 */
export const INDEX_SHAPE: ClusterIndex = new ClusterIndex([]);

export function subjectId(s: SubjectVector): string {
  return s.kind === 'ServiceAccount'
    ? resourceId('v1', s.namespace, s.kind, s.name)
    : resourceId(RBAC_V1, undefined, s.kind, s.name);
}

/** A subject vector in the KubeObject envelope (so exceptions and reports can treat it uniformly). */
export function subjectResource(s: SubjectVector): ScanResource {
  const object: KubeObject = {
    apiVersion: s.kind === 'ServiceAccount' ? 'v1' : RBAC_V1,
    kind: s.kind,
    metadata: { name: s.name, ...(s.namespace ? { namespace: s.namespace } : {}) },
    name: s.name,
    ...(s.namespace ? { namespace: s.namespace } : {}),
    apiGroup: s.apiGroup,
    relatedObjects: s.relatedObjects,
  };
  return {
    id: subjectId(s),
    matchKind: 'Subject',
    kindSlot: kindSlot('Subject'),
    object,
    subject: s,
    sharedFindings: undefined,
  };
}

// Kinds seen by any scan, numbered from 0. Bounded: input kinds are user data; past the bound a
// resource gets no slot and controls fall back to looking its kind up.
const kindSlots = new Map<string, number>();
const KIND_SLOT_LIMIT = 1024;

/** The slot number of a match kind (see ScanResource.kindSlot), or undefined past the bound. */
export function kindSlot(kind: string): number | undefined {
  let slot = kindSlots.get(kind);
  if (slot === undefined && kindSlots.size < KIND_SLOT_LIMIT) kindSlots.set(kind, (slot = kindSlots.size));
  return slot;
}

export { isWorkloadKind };
