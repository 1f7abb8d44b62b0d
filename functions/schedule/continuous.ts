/**
 * Continuous scanning: what a cluster change (ApiServerSource event) asks for. Pure, so the rules
 * are tested without a cluster or database; the handler applies the decisions.
 *
 * Rules (Kubescape operator §1.7, with our per-object debounce instead of its 2-minute dedupe):
 * - add/update of a workload, RBAC object, network object or namespace → a posture scan of that
 *   object, debounced;
 * - a Pod, ReplicaSet or Job owned by a controller is not scanned itself: its controller is
 *   (Kubescape skips "orphanable kinds with a parent");
 * - a running Pod's image digests → vulnerability scans (new digests only; naked pods after the
 *   guard time);
 * - delete → that object's results are deleted (namespaces take their results with them).
 */
import type { KubernetesObject, ObjectRef } from '../../lib/events/index.js';
import { namespaceSelected, type PodLike } from './images.js';

export const POSTURE_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'NetworkPolicy',
  'Service',
  'Ingress',
  'Namespace',
]);

const ORPHANABLE = new Set(['Pod', 'ReplicaSet', 'Job']);

export type ChangeDecision =
  | { action: 'ignore'; reason: string }
  | { action: 'rescan'; ref: ObjectRef; podImages?: 'now' | { after: Date } }
  | { action: 'images-only'; podImages: 'now' | { after: Date } }
  | { action: 'delete-results'; ref: ObjectRef };

export interface ChangeOptions {
  includeNamespaces: readonly string[];
  excludeNamespaces: readonly string[];
  nakedPodGuardMs: number;
}

export function refOf(obj: KubernetesObject): ObjectRef {
  const meta = obj.metadata as { name: string; namespace?: string; uid?: string };
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: meta.name,
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    ...(meta.uid ? { uid: meta.uid } : {}),
  };
}

function hasController(obj: KubernetesObject): boolean {
  const owners = (obj.metadata as { ownerReferences?: { controller?: boolean }[] }).ownerReferences ?? [];
  return owners.some((o) => o.controller === true);
}

function podImagesTiming(pod: PodLike, opts: ChangeOptions): 'now' | { after: Date } | undefined {
  if (pod.status?.phase !== 'Running') return undefined;
  const owned = (pod.metadata?.ownerReferences ?? []).length > 0;
  if (owned) return 'now';
  const startRaw = pod.status.startTime ?? pod.metadata?.creationTimestamp;
  const started = startRaw ? new Date(startRaw).getTime() : Number.NaN;
  if (Number.isNaN(started)) return undefined;
  return { after: new Date(started + opts.nakedPodGuardMs) };
}

export function decideChange(
  kind: 'add' | 'update' | 'delete',
  obj: KubernetesObject,
  opts: ChangeOptions,
): ChangeDecision {
  if (!POSTURE_KINDS.has(obj.kind)) return { action: 'ignore', reason: `kind ${obj.kind} is not scanned` };
  const ref = refOf(obj);
  const ns = obj.kind === 'Namespace' ? ref.name : ref.namespace;
  if (ns !== undefined && !namespaceSelected(ns, opts.includeNamespaces, opts.excludeNamespaces)) {
    return { action: 'ignore', reason: `namespace ${ns} is not scanned` };
  }
  if (kind === 'delete') {
    if (obj.kind === 'Namespace')
      return { action: 'ignore', reason: 'namespace deletion removes its results' };
    return { action: 'delete-results', ref };
  }
  const podImages = obj.kind === 'Pod' ? podImagesTiming(obj as PodLike, opts) : undefined;
  if (ORPHANABLE.has(obj.kind) && hasController(obj)) {
    return podImages
      ? { action: 'images-only', podImages }
      : { action: 'ignore', reason: `${obj.kind} is scanned through its controller` };
  }
  return podImages ? { action: 'rescan', ref, podImages } : { action: 'rescan', ref };
}
