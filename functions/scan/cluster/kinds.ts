/**
 * Which Kubernetes kinds a scan reads. The engine's controls declare the kinds they evaluate
 * (`ControlDefinition.kinds`, `Subject` = RBAC subject vectors); the engine has no API for the
 * kinds a control reads as *context* (ClusterIndex lookups), so those are listed here from the
 * controls' ClusterIndex calls (grep `ofKind|inNamespace|find|hasKind` in functions/scan/controls):
 * every scan that evaluates workloads also reads the workload owner chain (so Pods of a
 * ReplicaSet of a Deployment are folded into the Deployment) and the context kinds below.
 */
import { CONTROLS } from '../index.js';

export interface KindInfo {
  kind: string;
  group: string;
  version: string;
  /** Read as PartialObjectMetadata only (no data). */
  metadataOnly?: boolean;
}

const K = (kind: string, apiVersion: string, extra: Partial<KindInfo> = {}): KindInfo => {
  const i = apiVersion.lastIndexOf('/');
  return {
    kind,
    group: i < 0 ? '' : apiVersion.slice(0, i),
    version: i < 0 ? apiVersion : apiVersion.slice(i + 1),
    ...extra,
  };
};

/** Every kind the scan knows how to read, with the version it reads. */
export const KIND_CATALOG: readonly KindInfo[] = [
  K('Namespace', 'v1'),
  K('Node', 'v1'),
  K('Pod', 'v1'),
  K('ReplicationController', 'v1'),
  K('PodTemplate', 'v1'),
  K('Service', 'v1'),
  K('ServiceAccount', 'v1'),
  K('ConfigMap', 'v1'),
  // No control reads Secret data: C-0212 (in default namespace) and C-0255 (mounted secret
  // exists) only need names, so Secrets are listed as metadata.
  K('Secret', 'v1', { metadataOnly: true }),
  K('PersistentVolume', 'v1'),
  K('PersistentVolumeClaim', 'v1'),
  K('Endpoints', 'v1'),
  K('Deployment', 'apps/v1'),
  K('ReplicaSet', 'apps/v1'),
  K('StatefulSet', 'apps/v1'),
  K('DaemonSet', 'apps/v1'),
  K('Job', 'batch/v1'),
  K('CronJob', 'batch/v1'),
  K('EndpointSlice', 'discovery.k8s.io/v1'),
  K('NetworkPolicy', 'networking.k8s.io/v1'),
  K('Ingress', 'networking.k8s.io/v1'),
  K('Role', 'rbac.authorization.k8s.io/v1'),
  K('ClusterRole', 'rbac.authorization.k8s.io/v1'),
  K('RoleBinding', 'rbac.authorization.k8s.io/v1'),
  K('ClusterRoleBinding', 'rbac.authorization.k8s.io/v1'),
  K('ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/v1'),
  K('MutatingWebhookConfiguration', 'admissionregistration.k8s.io/v1'),
  K('HorizontalPodAutoscaler', 'autoscaling/v2'),
  K('PodDisruptionBudget', 'policy/v1'),
  K('PodSecurityPolicy', 'policy/v1beta1'),
  K('Lease', 'coordination.k8s.io/v1'),
  K('StorageClass', 'storage.k8s.io/v1'),
  K('CSIStorageCapacity', 'storage.k8s.io/v1'),
  K('HTTPRoute', 'gateway.networking.k8s.io/v1'),
  K('TCPRoute', 'gateway.networking.k8s.io/v1alpha2'),
  K('UDPRoute', 'gateway.networking.k8s.io/v1alpha2'),
  K('CiliumNetworkPolicy', 'cilium.io/v2'),
  K('CiliumClusterwideNetworkPolicy', 'cilium.io/v2'),
];

const BY_KIND = new Map(KIND_CATALOG.map((k) => [k.kind, k]));

export function kindInfo(kind: string): KindInfo | undefined {
  return BY_KIND.get(kind);
}

export const WORKLOAD_OWNER_KINDS = [
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
];
export const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

/** Context read whenever workloads are evaluated (ClusterIndex lookups of the workload controls). */
const WORKLOAD_CONTEXT = [
  'Namespace',
  'Node',
  'Service',
  'ServiceAccount',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'StorageClass',
  'NetworkPolicy',
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
  'Ingress',
  'PodSecurityPolicy',
  ...RBAC_KINDS,
];

/** Context read for any scan: namespaces (namespace-level controls) and the RBAC graph. */
const ALWAYS = ['Namespace', ...RBAC_KINDS];

/**
 * Kinds to read for a set of control IDs (unknown or unimplemented IDs contribute nothing);
 * in catalog order.
 */
export function kindsForControls(controlIDs: readonly string[]): KindInfo[] {
  const wanted = new Set<string>(ALWAYS);
  const ids = new Set(controlIDs);
  for (const c of CONTROLS) {
    if (!ids.has(c.id)) continue;
    for (const k of c.kinds) {
      if (k === 'Subject') RBAC_KINDS.forEach((r) => wanted.add(r));
      else wanted.add(k);
    }
  }
  if (WORKLOAD_OWNER_KINDS.some((k) => wanted.has(k))) {
    WORKLOAD_OWNER_KINDS.forEach((k) => wanted.add(k));
    WORKLOAD_CONTEXT.forEach((k) => wanted.add(k));
  }
  if (wanted.has('ServiceAccount')) RBAC_KINDS.forEach((k) => wanted.add(k));
  return KIND_CATALOG.filter((k) => wanted.has(k.kind));
}
