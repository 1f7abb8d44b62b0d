/** Services selecting a workload's pods, and which of them expose it outside the cluster. */
import type { ClusterIndex } from '../engine/cluster-index.js';
import { get, labelsOf, stringMap } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';
import type { WorkloadView } from '../engine/workload.js';

interface IndexedService {
  svc: KubeObject;
  /** Position in the namespace's Service list: matches are reported in input order. */
  order: number;
  keys: readonly string[];
  selector: Readonly<Record<string, string>>;
}

/**
 * Per namespace, Services bucketed by the first pair of their selector (`key\0value`): a Service
 * can only select pods carrying that pair, so a pod is checked against the few Services whose
 * first pair it has instead of every Service of the namespace (C-0042, C-0021... per workload).
 * Services with an empty selector select nothing (Service semantics) and are left out.
 */
type ServiceBuckets = Map<string, IndexedService[]>;

function buckets(index: ClusterIndex, namespace: string): ServiceBuckets {
  const all = index.memo('exposure:services-by-first-selector-pair', () => new Map<string, ServiceBuckets>());
  let b = all.get(namespace);
  if (b) return b;
  b = new Map();
  const services = index.inNamespace('Service', namespace);
  for (let order = 0; order < services.length; order++) {
    const svc = services[order] as KubeObject;
    const selector = stringMap(get(svc, 'spec', 'selector'));
    const keys = Object.keys(selector);
    const first = keys[0];
    if (first === undefined) continue;
    const bucketKey = `${first}\0${selector[first] as string}`;
    const list = b.get(bucketKey);
    const entry = { svc, order, keys, selector };
    if (list) list.push(entry);
    else b.set(bucketKey, [entry]);
  }
  all.set(namespace, b);
  return b;
}

const NONE: readonly KubeObject[] = Object.freeze([]);

/** Services of the namespace whose (non-empty) selector is a subset of the pod labels, in input order. */
export function servicesSelecting(
  index: ClusterIndex,
  namespace: string | undefined,
  podLabels: Readonly<Record<string, string>>,
): readonly KubeObject[] {
  const b = buckets(index, namespace ?? 'default');
  if (b.size === 0) return NONE;
  let hits: IndexedService[] | undefined;
  for (const k in podLabels) {
    const list = b.get(`${k}\0${podLabels[k] as string}`);
    if (!list) continue;
    for (const s of list) {
      let ok = true;
      for (const key of s.keys) {
        if (podLabels[key] !== s.selector[key]) {
          ok = false;
          break;
        }
      }
      if (ok) (hits ??= []).push(s);
    }
  }
  if (!hits) return NONE;
  if (hits.length > 1) hits.sort((x, y) => x.order - y.order);
  return hits.map((h) => h.svc);
}

/** `servicesSelecting` for a workload's pods, computed once per workload view (shared: read-only). */
export function servicesOf(wl: WorkloadView, index: ClusterIndex): readonly KubeObject[] {
  return (wl.lists.services ??= servicesSelecting(index, wl.object.metadata.namespace, wl.podLabels));
}

export const isExternalService = (svc: KubeObject): boolean => {
  const type = get(svc, 'spec', 'type');
  return type === 'NodePort' || type === 'LoadBalancer';
};

/** NodePort/LoadBalancer Services selecting a Pod. */
export function externallyExposed(pod: KubeObject, index: ClusterIndex): KubeObject[] {
  return servicesSelecting(index, pod.metadata.namespace, labelsOf(pod)).filter(isExternalService);
}
