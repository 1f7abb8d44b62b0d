/**
 * Deleting the stored results of a resource that is gone, through the Kubernetes API (the
 * storage-api serves the result kinds; DESIGN.md §3: only storage-api touches its tables).
 * Results are found by Kubescape's labels, not by name, so every result kind of the resource goes
 * in one deletecollection each, whatever the naming of a given kind.
 */
import { GROUP, LABELS, PLURALS, VERSION, labelValue } from '../../lib/api/index.js';
import type { ObjectRef } from '../../lib/events/index.js';
import { KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import { TransientError } from '../runtime/errors.js';

export interface ResultDeleter {
  deleteResultsOf(ref: ObjectRef): Promise<void>;
}

/** One label-selected deletion: where and which objects. */
export interface ResultSelection {
  plural: string;
  namespace: string;
  labelSelector: string;
}

const WORKLOAD_RESULT_PLURALS = [
  PLURALS.WorkloadConfigurationScan,
  PLURALS.WorkloadConfigurationScanSummary,
  PLURALS.VulnerabilityManifestSummary,
];

const RBAC_LABELS: Record<string, (ref: ObjectRef) => Record<string, string | undefined>> = {
  Role: (r) => ({ [LABELS.roleName]: r.name, [LABELS.roleNamespace]: r.namespace }),
  RoleBinding: (r) => ({ [LABELS.roleBindingName]: r.name, [LABELS.roleBindingNamespace]: r.namespace }),
  ClusterRole: (r) => ({ [LABELS.clusterRoleName]: r.name }),
  ClusterRoleBinding: (r) => ({ [LABELS.clusterRoleBindingName]: r.name }),
};

function selector(labels: Record<string, string | undefined>): string | undefined {
  const parts: string[] = [];
  for (const [k, raw] of Object.entries(labels)) {
    if (raw === undefined) continue;
    const v = labelValue(raw);
    // A value that cannot be a label value was never written as one: nothing to select.
    if (v === undefined) return undefined;
    parts.push(`${k}=${v}`);
  }
  return parts.join(',');
}

/** The deletions that remove every result of `ref` (pure). */
export function resultSelections(ref: ObjectRef, resultsNamespace: string): ResultSelection[] {
  const out: ResultSelection[] = [];
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '';
  const wl = selector({
    [LABELS.workloadKind]: ref.kind,
    [LABELS.workloadName]: ref.name,
    [LABELS.workloadNamespace]: ref.namespace,
    ...(group ? { [LABELS.workloadApiGroup]: group } : {}),
  });
  if (wl) {
    for (const plural of WORKLOAD_RESULT_PLURALS)
      out.push({ plural, namespace: ref.namespace ?? resultsNamespace, labelSelector: wl });
  }
  const rbac = RBAC_LABELS[ref.kind];
  if (rbac) {
    const sel = selector(rbac(ref));
    if (sel) {
      for (const plural of [PLURALS.WorkloadConfigurationScan, PLURALS.WorkloadConfigurationScanSummary]) {
        out.push({ plural, namespace: resultsNamespace, labelSelector: sel });
      }
    }
  }
  return out;
}

export function kubeResultDeleter(resultsNamespace: string, http: KubeHttp): ResultDeleter {
  return {
    async deleteResultsOf(ref) {
      for (const s of resultSelections(ref, resultsNamespace)) {
        const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(s.namespace)}/${s.plural}`;
        const failed = (why: string) =>
          new TransientError(
            `deleting ${s.plural} of ${ref.kind} ${ref.namespace ?? ''}/${ref.name} failed: ${why}`,
          );
        let r;
        try {
          r = await http.request(
            'DELETE',
            `${path}?${new URLSearchParams({ labelSelector: s.labelSelector })}`,
          );
        } catch (e) {
          throw failed(e instanceof Error ? e.message : String(e));
        }
        if (r.status === 404) continue;
        if (r.status < 200 || r.status >= 300)
          throw failed(new KubeStatusError('DELETE', path, r.status, r.body).message);
      }
    },
  };
}
