/**
 * Vulnerability fan-out: one scan request per distinct image digest, carrying every workload
 * container that runs it. Pure, so the grouping rules are tested without a cluster.
 */
import type { EventDataInput, WorkloadContainer } from '../../lib/events/index.js';

export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion?: string; kind?: string; name?: string; controller?: boolean }[];
    creationTimestamp?: string | Date;
  };
  spec?: {
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
    ephemeralContainers?: { name: string; image?: string }[];
    imagePullSecrets?: { name?: string }[];
  };
  status?: {
    phase?: string;
    startTime?: string | Date;
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
    ephemeralContainerStatuses?: ContainerStatusLike[];
  };
}

interface ContainerStatusLike {
  name: string;
  image?: string;
  imageID?: string;
}

export interface FanOutOptions {
  now: Date;
  includeNamespaces: readonly string[];
  excludeNamespaces: readonly string[];
  nakedPodGuardMs: number;
}

export interface FanOutResult {
  requests: EventDataInput<'io.kubescape.vulnscan.requested'>[];
  /** Pods left out, with why: for the debug log and tests. */
  skipped: { pod: string; reason: string }[];
}

const DIGEST = /@?(sha256:[a-f0-9]{64})$/;

/** `docker-pullable://nginx@sha256:…`, `docker.io/library/nginx@sha256:…` → `sha256:…`. */
export function digestOf(imageID: string | undefined): string | undefined {
  if (!imageID) return undefined;
  return DIGEST.exec(imageID.trim())?.[1];
}

/** The workload that owns a pod, as Kubescape names it: a ReplicaSet's Deployment, else the controller, else the pod. */
export function workloadOf(pod: PodLike): { apiVersion: string; kind: string; name: string } {
  const meta = pod.metadata ?? {};
  const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
  if (!owner?.kind || !owner.name) return { apiVersion: 'v1', kind: 'Pod', name: meta.name ?? '' };
  const hash = meta.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return { apiVersion: 'apps/v1', kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  }
  return { apiVersion: owner.apiVersion ?? 'v1', kind: owner.kind, name: owner.name };
}

export function namespaceSelected(
  ns: string,
  include: readonly string[],
  exclude: readonly string[],
): boolean {
  if (include.length > 0) return include.includes(ns);
  return !exclude.includes(ns);
}

export function fanOutVulnerabilityScans(pods: Iterable<PodLike>, opts: FanOutOptions): FanOutResult {
  const byDigest = new Map<
    string,
    {
      image: string;
      imageID: string;
      workloads: Map<string, WorkloadContainer>;
      secrets: Map<string, { namespace: string; name: string }>;
    }
  >();
  const skipped: FanOutResult['skipped'] = [];

  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    const podName = `${ns}/${pod.metadata?.name ?? '?'}`;
    if (!namespaceSelected(ns, opts.includeNamespaces, opts.excludeNamespaces)) {
      skipped.push({ pod: podName, reason: 'namespace excluded' });
      continue;
    }
    if (pod.status?.phase !== 'Running') {
      skipped.push({ pod: podName, reason: `phase ${pod.status?.phase ?? 'unknown'}` });
      continue;
    }
    const workload = workloadOf(pod);
    if (workload.kind === 'Pod') {
      const started = toTime(pod.status?.startTime) ?? toTime(pod.metadata?.creationTimestamp);
      if (started === undefined || opts.now.getTime() - started < opts.nakedPodGuardMs) {
        skipped.push({ pod: podName, reason: 'naked pod younger than the guard time' });
        continue;
      }
    }
    const groups: [
      WorkloadContainer['containerType'],
      { name: string; image?: string }[] | undefined,
      ContainerStatusLike[] | undefined,
    ][] = [
      ['containers', pod.spec?.containers, pod.status?.containerStatuses],
      ['initContainers', pod.spec?.initContainers, pod.status?.initContainerStatuses],
      ['ephemeralContainers', pod.spec?.ephemeralContainers, pod.status?.ephemeralContainerStatuses],
    ];
    for (const [containerType, specs, statuses] of groups) {
      for (const status of statuses ?? []) {
        const digest = digestOf(status.imageID);
        if (!digest) {
          skipped.push({ pod: podName, reason: `container ${status.name} has no image digest yet` });
          continue;
        }
        const image =
          specs?.find((c) => c.name === status.name)?.image ?? status.image ?? status.imageID ?? digest;
        let entry = byDigest.get(digest);
        if (!entry) {
          entry = { image, imageID: status.imageID ?? digest, workloads: new Map(), secrets: new Map() };
          byDigest.set(digest, entry);
        }
        const wc: WorkloadContainer = { ...workload, namespace: ns, container: status.name, containerType };
        entry.workloads.set(`${wc.namespace}/${wc.kind}/${wc.name}/${wc.container}`, wc);
        for (const s of pod.spec?.imagePullSecrets ?? []) {
          if (s.name) entry.secrets.set(`${ns}/${s.name}`, { namespace: ns, name: s.name });
        }
      }
    }
  }

  const requests = [...byDigest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([digest, e]) => ({
      image: e.image,
      digest,
      imageID: e.imageID,
      workloads: [...e.workloads.values()].sort((a, b) => key(a).localeCompare(key(b))),
      pullSecrets: [...e.secrets.values()].sort((a, b) =>
        `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
      ),
      reason: 'scheduled',
    }));
  return { requests, skipped };
}

const key = (w: WorkloadContainer): string => `${w.namespace}/${w.kind}/${w.name}/${w.container}`;

function toTime(v: string | Date | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
