/**
 * The cluster inventory sent with every posture ping (`io.kubescape.cluster.inventoried`): what
 * Kubescape's kollector reported to the provider — nodes, namespaces, workloads (controllers and
 * naked pods) and the distinct images running. `buildInventory` is pure; `clusterInventory` lists
 * the cluster through the Kubernetes API (paged; a kind the API does not serve or forbids is skipped).
 * Lists are bounded so the event stays within the broker's body limit on large clusters; a capped
 * list sets `truncated`.
 */
import { loadConfig, str } from '../../lib/config/env.js';
import type { EventDataInput, ObjectRef } from '../../lib/events/index.js';
import { KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import { listPages } from '../../lib/kube/paged.js';
import type { PodLike } from './images.js';

export const MAX_INVENTORY_ITEMS = 20_000;

const inventoryConfigSpec = {
  KSCAPE_CLUSTER_NAME: str({
    doc: 'Cluster name in the inventory.',
    default: 'kscape',
    pattern: /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  }),
};

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  ownerReferences?: unknown[];
  creationTimestamp?: string | Date;
}

export interface NodeLike {
  metadata?: Meta;
  status?: {
    nodeInfo?: {
      kubeletVersion?: string;
      osImage?: string;
      kernelVersion?: string;
      containerRuntimeVersion?: string;
      architecture?: string;
      operatingSystem?: string;
    };
    conditions?: { type?: string; status?: string }[];
  };
}

export interface WorkloadLike {
  apiVersion: string;
  kind: string;
  metadata?: Meta;
}

export interface ClusterSnapshot {
  nodes: NodeLike[];
  namespaces: { metadata?: Meta }[];
  workloads: WorkloadLike[];
  pods: PodLike[];
}

export type Inventory = EventDataInput<'io.kubescape.cluster.inventoried'> & { truncated?: boolean };

const iso = (v: string | Date | undefined): string | undefined =>
  v === undefined ? undefined : v instanceof Date ? v.toISOString() : v;

/** The digest of a container status' imageID (`repo@sha256:...`, `docker-pullable://...@sha256:...`). */
const digestOf = (imageID: string | undefined): string | undefined =>
  /(sha256:[a-f0-9]{64})$/.exec(imageID ?? '')?.[1];

export function buildInventory(s: ClusterSnapshot, clusterName: string, now: Date): Inventory {
  let truncated = false;
  const cap = <T>(xs: T[]): T[] => {
    if (xs.length <= MAX_INVENTORY_ITEMS) return xs;
    truncated = true;
    return xs.slice(0, MAX_INVENTORY_ITEMS);
  };
  const nodes = s.nodes.map((n) => {
    const info = n.status?.nodeInfo ?? {};
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    return {
      name: n.metadata?.name ?? '',
      ...(n.metadata?.labels ? { labels: n.metadata.labels } : {}),
      ...(info.kubeletVersion ? { kubeletVersion: info.kubeletVersion } : {}),
      ...(info.osImage ? { osImage: info.osImage } : {}),
      ...(info.kernelVersion ? { kernelVersion: info.kernelVersion } : {}),
      ...(info.containerRuntimeVersion ? { containerRuntimeVersion: info.containerRuntimeVersion } : {}),
      ...(info.architecture ? { architecture: info.architecture } : {}),
      ...(info.operatingSystem ? { operatingSystem: info.operatingSystem } : {}),
      ...(ready ? { ready: ready === 'True' } : {}),
      ...(n.metadata?.creationTimestamp ? { creationTimestamp: iso(n.metadata.creationTimestamp) } : {}),
    };
  });
  const ref = (apiVersion: string, kind: string, m: Meta | undefined): ObjectRef | undefined =>
    m?.name
      ? {
          apiVersion,
          kind,
          name: m.name,
          ...(m.namespace ? { namespace: m.namespace } : {}),
          ...(m.uid ? { uid: m.uid } : {}),
        }
      : undefined;
  const workloads = [
    ...s.workloads.map((w) => ref(w.apiVersion, w.kind, w.metadata)),
    // Naked pods are workloads of their own; owned pods are represented by their controller.
    ...s.pods.filter((p) => !p.metadata?.ownerReferences?.length).map((p) => ref('v1', 'Pod', p.metadata)),
  ].filter((r): r is ObjectRef => r !== undefined);
  const images = new Map<string, { image: string; digest?: string }>();
  for (const p of s.pods) {
    const statuses = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])];
    for (const c of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])]) {
      if (!c.image) continue;
      const digest = digestOf(statuses.find((st) => st.name === c.name)?.imageID);
      const key = `${c.image}\u0000${digest ?? ''}`;
      if (!images.has(key)) images.set(key, { image: c.image, ...(digest ? { digest } : {}) });
    }
  }
  const inv: Inventory = {
    clusterName,
    collectedAt: now.toISOString(),
    nodes: cap(nodes),
    namespaces: cap(
      s.namespaces
        .map((n) => n.metadata?.name)
        .filter((n): n is string => !!n)
        .sort(),
    ),
    workloads: cap(workloads),
    images: cap([...images.values()].sort((a, b) => a.image.localeCompare(b.image))),
  };
  return truncated ? { ...inv, truncated } : inv;
}

/** Drain a paged list; a kind the API does not serve (404) or forbids (403) yields nothing. */
async function all<T>(http: KubeHttp, path: string): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const x of listPages<T>(http, path)) {
      out.push(x);
      if (out.length > MAX_INVENTORY_ITEMS) break;
    }
  } catch (e) {
    if (e instanceof KubeStatusError && (e.status === 404 || e.status === 403)) return out;
    throw e;
  }
  return out;
}

/** Lists the cluster of the default kubeconfig (in-cluster, or KUBECONFIG) into an inventory. */
export function clusterInventory(
  http: KubeHttp,
  env: NodeJS.ProcessEnv = process.env,
): (now: Date) => Promise<Inventory> {
  const { KSCAPE_CLUSTER_NAME } = loadConfig(inventoryConfigSpec, env);
  return async (now) => {
    const typed = (apiVersion: string, kind: string) => (items: { metadata?: Meta }[]) =>
      items.map((i) => ({ apiVersion, kind, ...(i.metadata ? { metadata: i.metadata } : {}) }));
    const [nodes, namespaces, pods, deployments, statefulsets, daemonsets, jobs, cronjobs] =
      await Promise.all([
        all<NodeLike>(http, '/api/v1/nodes'),
        all<{ metadata?: Meta }>(http, '/api/v1/namespaces'),
        all<PodLike>(http, '/api/v1/pods'),
        all<{ metadata?: Meta }>(http, '/apis/apps/v1/deployments'),
        all<{ metadata?: Meta }>(http, '/apis/apps/v1/statefulsets'),
        all<{ metadata?: Meta }>(http, '/apis/apps/v1/daemonsets'),
        all<{ metadata?: Meta }>(http, '/apis/batch/v1/jobs'),
        all<{ metadata?: Meta }>(http, '/apis/batch/v1/cronjobs'),
      ]);
    const workloads = [
      ...typed('apps/v1', 'Deployment')(deployments),
      ...typed('apps/v1', 'StatefulSet')(statefulsets),
      ...typed('apps/v1', 'DaemonSet')(daemonsets),
      // Jobs a CronJob created are represented by the CronJob.
      ...typed('batch/v1', 'Job')(jobs.filter((j) => !j.metadata?.ownerReferences?.length)),
      ...typed('batch/v1', 'CronJob')(cronjobs),
    ];
    return buildInventory({ nodes, namespaces, workloads, pods }, KSCAPE_CLUSTER_NAME, now);
  };
}
