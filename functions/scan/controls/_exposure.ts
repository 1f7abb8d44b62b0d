/** Services selecting a workload's pods, and which of them expose it outside the cluster. */
import type { ClusterIndex } from '../engine/cluster-index.js';
import { get, labelsOf, mapSelectorMatches, stringMap } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';

export function servicesSelecting(
  index: ClusterIndex,
  namespace: string | undefined,
  podLabels: Record<string, string>,
): KubeObject[] {
  return index
    .inNamespace('Service', namespace ?? 'default')
    .filter((svc) => mapSelectorMatches(stringMap(get(svc, 'spec', 'selector')), podLabels));
}

export const isExternalService = (svc: KubeObject): boolean => {
  const type = get(svc, 'spec', 'type');
  return type === 'NodePort' || type === 'LoadBalancer';
};

/** NodePort/LoadBalancer Services selecting a Pod. */
export function externallyExposed(pod: KubeObject, index: ClusterIndex): KubeObject[] {
  return servicesSelecting(index, pod.metadata.namespace, labelsOf(pod)).filter(isExternalService);
}
