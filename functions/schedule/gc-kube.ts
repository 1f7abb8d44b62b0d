/**
 * The I/O of vulnerability-result garbage collection through the Kubernetes API: metadata-only
 * lists of the result kinds (an SBOM can be tens of MB; GC needs only annotations), paged lists of
 * the workload kinds, and deletions with uid + resourceVersion preconditions, so a result rewritten
 * after it was listed (its workload came back) is never deleted by a stale plan.
 */
import { GROUP, VERSION } from '../../lib/api/index.js';
import { loadKubeAccess } from '../../lib/kube/access.js';
import { listPages } from '../../lib/kube/paged.js';
import { kubeHttp, KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import { TransientError } from '../runtime/errors.js';
import { GC_PLURALS, type StoredResult, type WorkloadLike } from './gc.js';

export interface ResultCollector {
  /** Every stored result of the kinds GC looks after, metadata only. */
  listResults(): AsyncIterable<StoredResult>;
  /** Every workload that owns pod templates (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs). */
  listWorkloads(): AsyncIterable<WorkloadLike>;
  /** `gone`: already deleted; `changed`: rewritten since it was listed (kept). */
  delete(r: StoredResult): Promise<'deleted' | 'gone' | 'changed'>;
}

const PAGE = 500;
const METADATA_LIST =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;q=0.9';

const WORKLOAD_LISTS: { path: string; kind: string }[] = [
  { path: '/apis/apps/v1/deployments', kind: 'Deployment' },
  { path: '/apis/apps/v1/statefulsets', kind: 'StatefulSet' },
  { path: '/apis/apps/v1/daemonsets', kind: 'DaemonSet' },
  { path: '/apis/apps/v1/replicasets', kind: 'ReplicaSet' },
  { path: '/apis/batch/v1/jobs', kind: 'Job' },
  { path: '/apis/batch/v1/cronjobs', kind: 'CronJob' },
];

async function* pages<T>(http: KubeHttp, path: string, accept?: string, optional = false): AsyncGenerator<T> {
  try {
    yield* listPages<T>(http, path, { limit: PAGE, ...(accept ? { accept } : {}) });
  } catch (e) {
    if (!(e instanceof KubeStatusError)) throw e;
    // A cluster without a kind (no batch/v1 in a minimal sandbox) has none of it to keep alive.
    if (optional && e.status === 404) return;
    throw new TransientError(`garbage collection: listing ${path} failed: ${e.message}`);
  }
}

interface MetadataItem {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

export function kubeResultCollector(http: KubeHttp = kubeHttp(() => loadKubeAccess())): ResultCollector {
  const base = `/apis/${GROUP}/${VERSION}`;
  return {
    async *listResults() {
      for (const plural of GC_PLURALS) {
        for await (const item of pages<MetadataItem>(http, `${base}/${plural}`, METADATA_LIST)) {
          const m = item.metadata ?? {};
          if (!m.name) continue;
          yield {
            plural,
            namespace: m.namespace ?? '',
            name: m.name,
            ...(m.uid ? { uid: m.uid } : {}),
            ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
            ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
            labels: m.labels ?? {},
            annotations: m.annotations ?? {},
          };
        }
      }
    },
    async *listWorkloads() {
      for (const { path, kind } of WORKLOAD_LISTS) {
        for await (const w of pages<WorkloadLike>(http, path, undefined, true)) yield { ...w, kind };
      }
    },
    async delete(r) {
      const path = `${base}/namespaces/${encodeURIComponent(r.namespace)}/${r.plural}/${encodeURIComponent(r.name)}`;
      const preconditions = {
        ...(r.uid ? { uid: r.uid } : {}),
        ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}),
      };
      const res = await http.request('DELETE', path, {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions },
      });
      if (res.status === 404) return 'gone';
      if (res.status === 409) return 'changed';
      if (res.status < 200 || res.status >= 300) {
        throw new TransientError(
          `garbage collection: ${new KubeStatusError('DELETE', path, res.status, res.body).message}`,
        );
      }
      return 'deleted';
    },
  };
}
