/** Pod-template labels per namespace (C-0293, C-0299), computed once per scan and namespace. */
import type { ClusterIndex } from '../engine/cluster-index.js';
import { workloadView } from '../engine/workload.js';

const KINDS = [
  'Pod',
  'Deployment',
  'ReplicaSet',
  'DaemonSet',
  'StatefulSet',
  'Job',
  'CronJob',
  'ReplicationController',
];

export function podLabelsIn(index: ClusterIndex, ns: string): Record<string, string>[] {
  return index.memo(`podLabels/${ns}`, () => {
    const out: Record<string, string>[] = [];
    for (const kind of KINDS) {
      for (const o of index.inNamespace(kind, ns)) {
        const v = workloadView(o);
        if (v) out.push(v.podLabels);
      }
    }
    return out;
  });
}
