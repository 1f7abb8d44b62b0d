/**
 * Where the kubescape format reads what it reports: result objects from storage-api (the refs a
 * completed event names) and the raw scanned objects from the cluster (Kubescape's `resources`),
 * both through the Kubernetes API with client-node's configuration (in-cluster, or KUBECONFIG).
 * A missing object is `undefined` (results can be replaced or deleted between the scan and the
 * export); any other failure is a TransientError so the event is retried.
 */
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { loadKubeConfig } from '../../lib/kube/client.js';
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

const statusOf = (e: unknown): number | undefined => {
  const o = e as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  const c = o.code ?? o.statusCode ?? o.response?.statusCode;
  return typeof c === 'number' ? c : undefined;
};

export function kubeResultSource(kc: KubeConfig = loadKubeConfig()): ResultSource {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async get(key) {
      try {
        const spec: KubernetesObject = {
          apiVersion: key.apiVersion,
          kind: key.kind,
          metadata: { name: key.name, ...(key.namespace ? { namespace: key.namespace } : {}) },
        };
        // JSON round trip: client-node hands back class instances (Date fields) for built-in kinds.
        return JSON.parse(
          JSON.stringify(await objects.read(spec as KubernetesObject & { metadata: { name: string } })),
        ) as Record<string, unknown>;
      } catch (e) {
        const s = statusOf(e);
        if (s === 404 || s === 403) return undefined;
        throw new TransientError(
          `reading ${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    },
    async countNodes() {
      try {
        return (await core.listNode({ limit: 5000 })).items.length;
      } catch {
        return undefined;
      }
    },
  };
}
