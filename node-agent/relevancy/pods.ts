/**
 * Container ID → pod identity, from the pods scheduled on this node.
 *
 * The lookup is an interface so tests (and `--once --print` on a machine without a cluster) can use
 * a fixture mapping. The Kubernetes implementation lists pods with the field selector
 * `spec.nodeName=<node>` (RBAC cannot restrict to one node, but the list only ever returns this
 * node's pods), paged, and is refreshed only when a container we do not know shows up, at most once
 * per `minRefreshMs`: a scan every 30 s must not become an API LIST every 30 s.
 */
import fs from 'node:fs/promises';
import https from 'node:https';
import type { Logger } from '../../lib/log/index.js';
import { parseDurationMs } from '../../lib/config/env.js';
import { stripRuntimePrefix } from './cgroup.js';

export type WorkloadRef = {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
};

export interface ContainerIdentity {
  namespace: string;
  pod: string;
  podUid?: string;
  container: string;
  /** As the runtime reports it, with its scheme: `containerd://<id>`. */
  containerID: string;
  containerType: 'containers' | 'initContainers' | 'ephemeralContainers';
  /** status.image (the reference the kubelet resolved). */
  image?: string;
  /** sha256 digest from status.imageID, when it carries one. */
  imageDigest?: string;
  workload?: WorkloadRef;
  /** When the container started (status.state.running.startedAt), ISO time. */
  startedAt?: string;
  /** Pod label kubescape.io/max-sniffing-time, parsed (ms). */
  maxLearningMs?: number;
}

/**
 * The fields of a Pod the agent reads, as the API serves them (JSON). Declared here rather than
 * taken from client-node's V1Pod so the in-cluster path does not load client-node at all (it
 * costs ~70 MiB of RSS, more than the rest of the agent).
 */
export interface PodJson {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  status?: {
    containerStatuses?: ContainerStatusJson[];
    initContainerStatuses?: ContainerStatusJson[];
    ephemeralContainerStatuses?: ContainerStatusJson[];
  };
}
interface ContainerStatusJson {
  name: string;
  containerID?: string;
  image?: string;
  imageID?: string;
  state?: { running?: { startedAt?: string | Date } };
}

export interface PodPage {
  items: PodJson[];
  continue?: string;
}
/** Lists one page of this node's pods (field selector spec.nodeName=<node>). */
export type PodLister = (cont: string | undefined) => Promise<PodPage>;

export interface PodLookup {
  /** Identity for a bare container ID (64 hex), or undefined when no pod on this node has it. */
  lookup(containerId: string): Promise<ContainerIdentity | undefined>;
}

/** A fixed mapping (tests, offline debugging). */
export class StaticPodLookup implements PodLookup {
  private readonly map: Map<string, ContainerIdentity>;
  constructor(entries: Iterable<ContainerIdentity>) {
    this.map = new Map([...entries].map((e) => [stripRuntimePrefix(e.containerID), e]));
  }
  lookup(containerId: string): Promise<ContainerIdentity | undefined> {
    return Promise.resolve(this.map.get(containerId));
  }
}

const DIGEST = /(sha256:[a-f0-9]{64})$/;

/** Pod → identities of all its containers that have an ID. */
export function identitiesOfPod(pod: PodJson): ContainerIdentity[] {
  const ns = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (!ns || !name) return [];
  const workload = workloadOf(pod);
  const sniff = pod.metadata?.labels?.['kubescape.io/max-sniffing-time'];
  const maxLearningMs = sniff ? parseDurationMs(sniff) : undefined;
  const out: ContainerIdentity[] = [];
  const add = (
    statuses: ContainerStatusJson[] | undefined,
    containerType: ContainerIdentity['containerType'],
  ) => {
    for (const s of statuses ?? []) {
      if (!s.containerID) continue;
      const digest = DIGEST.exec(s.imageID ?? '')?.[1];
      const started = s.state?.running?.startedAt;
      out.push({
        namespace: ns,
        pod: name,
        ...(pod.metadata?.uid ? { podUid: pod.metadata.uid } : {}),
        container: s.name,
        containerID: s.containerID,
        containerType,
        ...(s.image ? { image: s.image } : {}),
        ...(digest ? { imageDigest: digest } : {}),
        ...(workload ? { workload } : {}),
        ...(started ? { startedAt: new Date(started).toISOString() } : {}),
        ...(maxLearningMs !== undefined ? { maxLearningMs } : {}),
      });
    }
  };
  add(pod.status?.containerStatuses, 'containers');
  add(pod.status?.initContainerStatuses, 'initContainers');
  add(pod.status?.ephemeralContainerStatuses, 'ephemeralContainers');
  return out;
}

/**
 * The controlling owner. A ReplicaSet created by a Deployment is named `<deployment>-<pod-template-hash>`
 * and the pod carries that hash as a label, so the Deployment is derived without reading
 * ReplicaSets (the agent's RBAC only allows pods and nodes). A bare ReplicaSet without the hash
 * suffix is reported as itself. Jobs of CronJobs are reported as the Job for the same reason.
 */
export function workloadOf(pod: PodJson): WorkloadRef | undefined {
  const ns = pod.metadata?.namespace;
  if (!ns) return undefined;
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner)
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ns,
      name: pod.metadata!.name!,
      ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    };
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`))
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: owner.name.slice(0, -hash.length - 1),
    };
  return { apiVersion: owner.apiVersion, kind: owner.kind, namespace: ns, name: owner.name, uid: owner.uid };
}

export class KubePodLookup implements PodLookup {
  private byId = new Map<string, ContainerIdentity>();
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly list: PodLister,
    private readonly log: Logger,
    private readonly minRefreshMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(containerId: string): Promise<ContainerIdentity | undefined> {
    const hit = this.byId.get(containerId);
    if (hit) return hit;
    if (this.now() - this.lastRefresh >= this.minRefreshMs) await this.refresh();
    return this.byId.get(containerId);
  }

  /** Re-list this node's pods (deduplicated when concurrent). Failures keep the previous map. */
  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      this.lastRefresh = this.now();
      try {
        const next = new Map<string, ContainerIdentity>();
        let cont: string | undefined;
        do {
          const page = await this.list(cont);
          for (const pod of page.items)
            for (const id of identitiesOfPod(pod)) next.set(stripRuntimePrefix(id.containerID), id);
          cont = page.continue || undefined;
        } while (cont);
        this.byId = next;
      } catch (e) {
        this.log.warn({ err: e }, 'listing pods of this node failed; keeping the previous container map');
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MAX_POD_PAGE_BYTES = 64 * 1024 * 1024;

/**
 * In-cluster pod lister over plain HTTPS with the pod's service-account token and CA. The token is
 * re-read for every request because projected tokens rotate (kubelet refreshes the file).
 */
export function inClusterPodLister(
  nodeName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  saDir = SA_DIR,
): PodLister {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not in a cluster: KUBERNETES_SERVICE_HOST is not set');
  return async (cont) => {
    const [ca, token] = await Promise.all([
      fs.readFile(`${saDir}/ca.crt`),
      fs.readFile(`${saDir}/token`, 'utf8'),
    ]);
    const q = new URLSearchParams({ fieldSelector: `spec.nodeName=${nodeName}`, limit: '500' });
    if (cont) q.set('continue', cont);
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host,
          port,
          path: `/api/v1/pods?${q.toString()}`,
          method: 'GET',
          ca,
          headers: { authorization: `Bearer ${token.trim()}`, accept: 'application/json' },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_POD_PAGE_BYTES) req.destroy(new Error('pod list page too large'));
            else chunks.push(c);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 200) resolve(text);
            else reject(new Error(`GET /api/v1/pods answered ${res.statusCode}: ${text.slice(0, 300)}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('pod list timed out')));
      req.on('error', reject);
      req.end();
    });
    const parsed = JSON.parse(body) as { items?: PodJson[]; metadata?: { continue?: string } };
    return {
      items: parsed.items ?? [],
      ...(parsed.metadata?.continue ? { continue: parsed.metadata.continue } : {}),
    };
  };
}

/** Out-of-cluster (dev): KUBECONFIG / ~/.kube/config through client-node, loaded only here. */
export async function kubeconfigPodLister(nodeName: string): Promise<PodLister> {
  const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const api = kc.makeApiClient(CoreV1Api);
  return async (cont) => {
    const page = await api.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName=${nodeName}`,
      limit: 500,
      ...(cont ? { _continue: cont } : {}),
    });
    return {
      items: page.items as unknown as PodJson[],
      ...(page.metadata?._continue ? { continue: page.metadata._continue } : {}),
    };
  };
}
