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

/**
 * Whether a (non-empty) Service-style selector selects any pod template of the namespace. Pod
 * labels are bucketed per namespace by each of their `key\0value` pairs, so a selector is only
 * checked against the templates carrying its first pair, not against every template.
 */
export function anyPodSelected(
  index: ClusterIndex,
  ns: string,
  selector: Readonly<Record<string, string>>,
): boolean {
  let first: string | undefined;
  for (const k in selector) {
    first = k;
    break;
  }
  if (first === undefined) return false;
  const all = index.memo('podLabelsByPair', () => new Map<string, Map<string, Record<string, string>[]>>());
  let byPair = all.get(ns);
  if (!byPair) {
    byPair = new Map();
    for (const labels of podLabelsIn(index, ns)) {
      for (const k in labels) {
        const key = `${k}\0${labels[k] as string}`;
        const list = byPair.get(key);
        if (list) list.push(labels);
        else byPair.set(key, [labels]);
      }
    }
    all.set(ns, byPair);
  }
  const candidates = byPair.get(`${first}\0${selector[first] as string}`);
  if (!candidates) return false;
  for (const labels of candidates) {
    let ok = true;
    for (const k in selector) {
      if (labels[k] !== selector[k]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}
