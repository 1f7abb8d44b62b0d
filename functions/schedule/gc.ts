/**
 * Garbage collection of vulnerability results on every vulnerability cycle (issue 7; Kubescape's
 * storage `ResourcesCleanupHandler`, reference/storage-api.md §4.7), as a pure plan:
 *
 * - per-container results (VulnerabilityManifestSummary, filtered SBOMs and filtered manifests) are
 *   keyed by their workload (`kubescape.io/wlid`) and container name; they go as soon as the
 *   workload or the container is gone from the cluster;
 * - image results (SBOMSPDXv2p3, image-level VulnerabilityManifest) are keyed by
 *   `kubescape.io/image-id`; they go once no pod has run that digest for the grace period.
 *
 * Unlike Kubescape, an object whose key annotation is missing or malformed is kept and counted:
 * we only delete what we can prove is gone. Objects marked `kubescape.io/managed-by: User` are
 * never touched. Configuration-scan results are collected by the scan function after every full
 * scan (functions/scan/results/gc.ts), which is where the posture cycle's view of the cluster is.
 */
import { ANNOTATIONS, CONTEXT, LABELS, MANAGED_BY_USER, PLURALS, parseWlid } from '../../lib/api/index.js';
import { digestOf, workloadOf, type PodLike } from './images.js';

/** The metadata of a stored result, as a metadata-only list returns it. */
export interface StoredResult {
  plural: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A pod template owner or a pod, reduced to what GC compares. */
export interface WorkloadLike {
  apiVersion?: string;
  kind?: string;
  metadata?: PodLike['metadata'];
  spec?: {
    template?: { spec?: PodLike['spec'] };
    jobTemplate?: { spec?: { template?: { spec?: PodLike['spec'] } } };
  } & PodLike['spec'];
  status?: PodLike['status'];
}

/** What exists in the cluster right now. */
export interface LiveState {
  /** Image digests (`sha256:…`) some pod runs. */
  digests: Set<string>;
  /** `namespace/kind(lower-case)/name/container` of every workload container. */
  containers: Set<string>;
}

export const PER_CONTAINER_PLURALS = [
  PLURALS.VulnerabilityManifestSummary,
  PLURALS.SBOMSPDXv2p3Filtered,
] as const;
export const IMAGE_PLURALS = [PLURALS.SBOMSPDXv2p3, PLURALS.VulnerabilityManifest] as const;
export const GC_PLURALS = [...PER_CONTAINER_PLURALS, ...IMAGE_PLURALS];

const containerKey = (namespace: string, kind: string, name: string, container: string): string =>
  `${namespace}/${kind.toLowerCase()}/${name}/${container}`;

function containerNames(spec: PodLike['spec'] | undefined): string[] {
  return [
    ...(spec?.containers ?? []),
    ...(spec?.initContainers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ].map((c) => c.name);
}

/**
 * The live state from the cluster's workloads and pods: a workload's containers exist as long as
 * the workload does (a Deployment scaled to zero keeps its results), images only while a pod runs them.
 */
export function liveState(workloads: Iterable<WorkloadLike>, pods: Iterable<PodLike>): LiveState {
  const digests = new Set<string>();
  const containers = new Set<string>();
  for (const w of workloads) {
    const ns = w.metadata?.namespace ?? '';
    const name = w.metadata?.name;
    if (!w.kind || !name) continue;
    const spec = w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template?.spec : w.spec?.template?.spec;
    for (const c of containerNames(spec)) containers.add(containerKey(ns, w.kind, name, c));
  }
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    const owner = workloadOf(pod);
    for (const c of containerNames(pod.spec)) {
      containers.add(containerKey(ns, owner.kind, owner.name, c));
    }
    const statuses = [
      ...(pod.status?.containerStatuses ?? []),
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.ephemeralContainerStatuses ?? []),
    ];
    for (const s of statuses) {
      const d = digestOf(s.imageID);
      if (d) digests.add(d);
    }
  }
  return { digests, containers };
}

export type GcReason = 'workload-container-gone' | 'image-not-running';

export interface GcPlan {
  delete: { result: StoredResult; reason: GcReason }[];
  /** Image results whose digest is not running but is still within the grace period. */
  inGrace: number;
  /** Results without a usable key annotation (kept). */
  unattributed: StoredResult[];
  /** Digests of image results that will be gone after this plan (their seen-record can go too). */
  collectedDigests: string[];
}

export interface GcOptions {
  now: Date;
  graceMs: number;
  /** When each digest was last seen running (absent: the result's creation time counts). */
  lastSeen: ReadonlyMap<string, Date>;
}

function isPerContainer(r: StoredResult): boolean {
  if ((PER_CONTAINER_PLURALS as readonly string[]).includes(r.plural)) return true;
  // Relevant-only manifests are per container (instance-id), image manifests are not.
  return (
    r.plural === PLURALS.VulnerabilityManifest &&
    (r.labels[LABELS.context] === CONTEXT.filtered || r.annotations[ANNOTATIONS.instanceId] !== undefined)
  );
}

function containerOf(r: StoredResult): string | undefined {
  const id = r.annotations[ANNOTATIONS.wlid];
  const container =
    r.annotations[ANNOTATIONS.workloadContainerName] ?? r.labels[LABELS.workloadContainerName];
  if (!id || !container) return undefined;
  const w = parseWlid(id);
  if (!w) return undefined;
  return containerKey(w.namespace, w.kind, w.name, container);
}

export function planVulnerabilityGc(
  stored: Iterable<StoredResult>,
  live: LiveState,
  opts: GcOptions,
): GcPlan {
  const plan: GcPlan = { delete: [], inGrace: 0, unattributed: [], collectedDigests: [] };
  const collected = new Set<string>();
  for (const r of stored) {
    if (r.annotations[ANNOTATIONS.managedBy] === MANAGED_BY_USER) continue;
    if (isPerContainer(r)) {
      const key = containerOf(r);
      if (!key) plan.unattributed.push(r);
      else if (!live.containers.has(key)) plan.delete.push({ result: r, reason: 'workload-container-gone' });
      continue;
    }
    const digest = digestOf(r.annotations[ANNOTATIONS.imageId]);
    if (!digest) {
      plan.unattributed.push(r);
      continue;
    }
    if (live.digests.has(digest)) continue;
    const seen =
      opts.lastSeen.get(digest) ?? (r.creationTimestamp ? new Date(r.creationTimestamp) : undefined);
    if (seen && opts.now.getTime() - seen.getTime() < opts.graceMs) {
      plan.inGrace++;
      continue;
    }
    plan.delete.push({ result: r, reason: 'image-not-running' });
    collected.add(digest);
  }
  plan.collectedDigests = [...collected].sort();
  return plan;
}
