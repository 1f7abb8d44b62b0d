/**
 * Workload semantics as the regolibrary rules see them (shared/reference/controls.md §2a "Input
 * conventions"): where the pod spec of each workload kind lives, the path prefix used in
 * failed/fix paths, and the container lists.
 */
import { arr, get, labelsOf, rec, stringMap, type JsonRecord } from './objects.js';
import { at, indexed } from './paths.js';
import type { KubeObject } from './types.js';

/** Kinds whose rules are written against "WL". */
export const WORKLOAD_KINDS = [
  'Pod',
  'Deployment',
  'ReplicaSet',
  'DaemonSet',
  'StatefulSet',
  'Job',
  'CronJob',
] as const;

const WORKLOAD_SET: ReadonlySet<string> = new Set(WORKLOAD_KINDS);

export function isWorkloadKind(kind: string): boolean {
  return WORKLOAD_SET.has(kind);
}

export type ContainerType = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string; localhostProfile?: string };
  seLinuxOptions?: JsonRecord;
  windowsOptions?: { gmsaCredentialSpecName?: string; runAsUserName?: string; hostProcess?: boolean };
  // pod-level only
  fsGroup?: number;
  fsGroupChangePolicy?: string;
  sysctls?: { name?: string; value?: string }[];
  supplementalGroups?: number[];
}

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  securityContext?: SecurityContext;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  ports?: { hostPort?: number; containerPort?: number; name?: string }[];
  env?: {
    name?: string;
    value?: string;
    valueFrom?: { secretKeyRef?: JsonRecord; configMapKeyRef?: JsonRecord };
  }[];
  envFrom?: { secretRef?: JsonRecord; configMapRef?: JsonRecord }[];
  volumeMounts?: {
    name?: string;
    mountPath?: string;
    readOnly?: boolean;
    subPath?: string;
    subPathExpr?: string;
  }[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}

export interface Volume {
  name?: string;
  hostPath?: { path?: string; type?: string };
  secret?: { secretName?: string };
  configMap?: { name?: string };
  persistentVolumeClaim?: { claimName?: string };
  csi?: { driver?: string; volumeAttributes?: Record<string, string> };
  [k: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Volume[];
  hostPID?: boolean;
  hostIPC?: boolean;
  hostNetwork?: boolean;
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext;
  [k: string]: unknown;
}

export interface WorkloadView {
  readonly object: KubeObject;
  readonly spec: PodSpec;
  /** Path of the pod spec with trailing dot: `spec.`, `spec.template.spec.`, `spec.jobTemplate.spec.template.spec.`. */
  readonly prefix: string;
  /** Path of the pod metadata with trailing dot (`metadata.` for a Pod, `spec.template.metadata.` otherwise). */
  readonly podMetaPrefix: string;
  /** Labels of the pods this workload creates (the Pod's own labels for a Pod). */
  readonly podLabels: Record<string, string>;
  /**
   * Container and volume lists, built on first use by containersOf/volumesOf: every control walks
   * them, and a field is cheaper than a WeakMap lookup per rule per workload.
   */
  readonly lists: WorkloadLists;
}

export interface WorkloadLists {
  /** By bitmask of the selected container types. */
  containers: (readonly ContainerRef[] | undefined)[];
  volumes: readonly VolumeRef[] | undefined;
  /** The workload object's own labels (`ownLabelsOf`). */
  ownLabels: Readonly<Record<string, string>> | undefined;
  /**
   * Services and network policies selecting the pods (controls/_exposure.ts `servicesOf`,
   * controls/_lib.ts `policiesOf`): several controls ask per workload. A view belongs to one scan
   * (its index), so these are that scan's answers.
   */
  services: readonly KubeObject[] | undefined;
  policies: readonly KubeObject[] | undefined;
}

/** Labels of the workload object itself (the pod template's are `podLabels`); shared, read-only. */
export function ownLabelsOf(wl: WorkloadView): Readonly<Record<string, string>> {
  return (wl.lists.ownLabels ??= labelsOf(wl.object));
}

export interface ContainerRef {
  readonly container: Container;
  readonly index: number;
  readonly type: ContainerType;
  /** `spec.template.spec.containers[0]` (no trailing dot). */
  readonly path: string;
}

/**
 * The pod spec of a workload object, or undefined when the object is not a workload (or
 * malformed). Not cached here: the scan computes it once per resource (ScanResource.workload), so
 * nothing derived from the objects outlives the scan.
 */
export function workloadView(obj: KubeObject): WorkloadView | undefined {
  let layout: Layout;
  switch (obj.kind) {
    case 'Pod':
      layout = POD_LAYOUT;
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'StatefulSet':
    case 'Job':
    case 'ReplicationController': // not a "WL" kind, but the DevOps rules read its template
      layout = TEMPLATE_LAYOUT;
      break;
    case 'CronJob':
      layout = CRONJOB_LAYOUT;
      break;
    default:
      return undefined;
  }
  const spec = rec(get(obj, ...layout.specPath));
  if (!spec) return undefined;
  const podLabels = obj.kind === 'Pod' ? labelsOf(obj) : stringMap(get(obj, ...layout.metaPath, 'labels'));
  return {
    object: obj,
    spec: spec as PodSpec,
    prefix: layout.prefix,
    podMetaPrefix: layout.podMetaPrefix,
    podLabels,
    // Every field declared up front: fields added later move the object to a new hidden class,
    // which dies with the scan's views and takes the optimized code that embeds it along.
    lists: {
      containers: [],
      volumes: undefined,
      ownLabels: undefined,
      services: undefined,
      policies: undefined,
    },
  };
}

interface Layout {
  specPath: readonly string[];
  metaPath: readonly string[];
  prefix: string;
  podMetaPrefix: string;
}

// One prefix string per layout, shared by every workload: paths built on it are interned by
// (base, suffix) identity (engine/paths.ts) rather than rebuilt per workload.
function layout(specPath: string[], metaPath: string[]): Layout {
  return { specPath, metaPath, prefix: `${specPath.join('.')}.`, podMetaPrefix: `${metaPath.join('.')}.` };
}
const POD_LAYOUT = layout(['spec'], ['metadata']);
const TEMPLATE_LAYOUT = layout(['spec', 'template', 'spec'], ['spec', 'template', 'metadata']);
const CRONJOB_LAYOUT = layout(
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
);

const ALL_TYPES: readonly ContainerType[] = ['containers', 'initContainers', 'ephemeralContainers'];

// Shared type selections: an array literal per call was an allocation per rule per workload.
export const MAIN_CONTAINERS: readonly ContainerType[] = Object.freeze(['containers']);
export const POD_CONTAINERS: readonly ContainerType[] = Object.freeze(['containers', 'initContainers']);
export const ALL_CONTAINERS: readonly ContainerType[] = ALL_TYPES;

// Every control walks the same container lists: build them once per workload and type selection
// (indexed by a bitmask of the selected lists: no string keys on the hot path).
const TYPE_BIT: Record<ContainerType, number> = { containers: 1, initContainers: 2, ephemeralContainers: 4 };

/**
 * Containers of the given lists, in Kubescape's order (containers, then init, then ephemeral).
 * The returned array is shared between callers: do not mutate it.
 */
export function containersOf(
  wl: WorkloadView,
  types: readonly ContainerType[] = POD_CONTAINERS,
): readonly ContainerRef[] {
  const byTypes = wl.lists.containers;
  // The shared selections are compared by identity first: no loop over the list per call.
  let key = types === MAIN_CONTAINERS ? 1 : types === POD_CONTAINERS ? 3 : types === ALL_CONTAINERS ? 7 : 0;
  if (key === 0) for (const t of types) key |= TYPE_BIT[t];
  const cached = byTypes[key];
  if (cached) return cached;
  const out: ContainerRef[] = [];
  for (const type of ALL_TYPES) {
    if (!types.includes(type)) continue;
    const list = arr(wl.spec[type]);
    for (let i = 0; i < list.length; i++) {
      const c = rec(list[i]);
      if (c) out.push({ container: c as Container, index: i, type, path: indexed(at(wl.prefix, type), i) });
    }
  }
  byTypes[key] = out;
  // Most pod specs have only `containers`: every selection that includes them is then the same
  // list — built once per workload, not once per selection.
  if (key & 1 && arr(wl.spec.initContainers).length === 0 && arr(wl.spec.ephemeralContainers).length === 0)
    byTypes[1] = byTypes[3] = byTypes[5] = byTypes[7] = out;
  return out;
}

export interface VolumeRef {
  readonly volume: Volume;
  readonly index: number;
  readonly path: string;
}

/** Volumes of the pod spec with their paths (shared array: do not mutate). */
export function volumesOf(wl: WorkloadView): readonly VolumeRef[] {
  const cached = wl.lists.volumes;
  if (cached) return cached;
  const out: VolumeRef[] = [];
  const list = arr(wl.spec.volumes);
  for (let i = 0; i < list.length; i++) {
    const v = rec(list[i]);
    if (v) out.push({ volume: v as Volume, index: i, path: indexed(at(wl.prefix, 'volumes'), i) });
  }
  wl.lists.volumes = out;
  return out;
}

/** Replica count used for score weighting (§3 "Scores"): `spec.replicas`, DaemonSet `status.desiredNumberScheduled`. */
export function replicasOf(obj: KubeObject): number {
  const n =
    obj.kind === 'DaemonSet' ? get(obj, 'status', 'desiredNumberScheduled') : get(obj, 'spec', 'replicas');
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 1;
}
