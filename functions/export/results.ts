/**
 * Where the kubescape format reads what it reports: result objects from storage-api (the refs a
 * completed event names) and the raw scanned objects from the cluster (Kubescape's `resources`),
 * both through the Kubernetes API with client-node's configuration (in-cluster, or KUBECONFIG).
 * A missing object is `undefined` (results can be replaced or deleted between the scan and the
 * export); any other failure is a TransientError so the event is retried.
 */
import { loadKubeAccess } from '../../lib/kube/access.js';
import { discovery, UnservedKindError } from '../../lib/kube/discovery.js';
import { kubeHttp, KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import { TransientError } from '../runtime/errors.js';

export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
}

export interface ResultSource {
  get(key: ObjectKey): Promise<Record<string, unknown> | undefined>;
  countNodes(): Promise<number | undefined>;
}

export function kubeResultSource(http: KubeHttp = kubeHttp(() => loadKubeAccess())): ResultSource {
  const api = discovery(http);
  return {
    async get(key) {
      const what = `${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}`;
      let r;
      try {
        r = await http.request('GET', await api.objectPath(key));
      } catch (e) {
        // A kind the cluster no longer serves has no object to report, like a deleted one.
        if (e instanceof UnservedKindError) return undefined;
        if (e instanceof KubeStatusError && (e.status === 404 || e.status === 403)) return undefined;
        throw new TransientError(`reading ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (r.status === 404 || r.status === 403) return undefined;
      if (r.status < 200 || r.status >= 300 || typeof r.body !== 'object' || r.body === null)
        throw new TransientError(`reading ${what} failed: HTTP ${r.status}`);
      return r.body as Record<string, unknown>;
    },
    async countNodes() {
      // Kubescape reports the node count with the posture; unknown (not an error) when forbidden.
      const r = await http
        .request('GET', '/api/v1/nodes?limit=5000', {
          accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
        })
        .catch(() => undefined);
      if (!r || r.status < 200 || r.status >= 300) return undefined;
      const items = (r.body as { items?: unknown[] } | undefined)?.items;
      return Array.isArray(items) ? items.length : undefined;
    },
  };
}
