/**
 * Which Kubernetes kinds a scan reads. The engine's controls declare the kinds they evaluate
 * (`ControlDefinition.kinds`, `Subject` = RBAC subject vectors); the engine has no API for the
 * kinds a control reads as *context* (ClusterIndex lookups), so those are listed here from the
 * controls' ClusterIndex calls. `kinds.test.ts` derives both from the control modules (it records
 * every ClusterIndex lookup of a scan) and checks that this list covers them and that the scan's
 * ClusterRole in knative/ grants exactly get/list on these kinds.
 *
 * Secrets are the exception, by design: RBAC has no metadata-only read, so `list secrets` would hand
 * the scan every secret's data. The scan's ClusterRole does not grant it and the scan does not ask;
 * C-0212's Secret rule and C-0255 therefore see no Secrets in cluster scans (they do in `kscape
 * scan` of manifests). When read at all, Secrets are read as PartialObjectMetadata.
 */
import { CONTROLS } from '../index.js';

export interface KindInfo {
  kind: string;
  group: string;
  version: string;
  /** The API resource (plural) the ClusterRole grants. */
  resource: string;
  /** Read as PartialObjectMetadata only (no data). */
  metadataOnly?: boolean;
  /** Not read by cluster scans (not granted by the scan's ClusterRole); see the header. */
  notGranted?: boolean;
}

const K = (
  kind: string,
  apiVersion: string,
  resource: string,
  extra: Pick<KindInfo, 'metadataOnly' | 'notGranted'> = {},
): KindInfo => {
  const i = apiVersion.lastIndexOf('/');
  return {
    kind,
    group: i < 0 ? '' : apiVersion.slice(0, i),
    version: i < 0 ? apiVersion : apiVersion.slice(i + 1),
    resource,
    ...extra,
  };
};

/** Every kind the scan knows how to read, with the version it reads. */
export const KIND_CATALOG: readonly KindInfo[] = [
  K('Namespace', 'v1', 'namespaces'),
  K('Node', 'v1', 'nodes'),
  K('Pod', 'v1', 'pods'),
  K('ReplicationController', 'v1', 'replicationcontrollers'),
  K('PodTemplate', 'v1', 'podtemplates'),
  K('Service', 'v1', 'services'),
  K('ServiceAccount', 'v1', 'serviceaccounts'),
  K('ConfigMap', 'v1', 'configmaps'),
  // No control reads Secret data: C-0212 (in default namespace) and C-0255 (mounted secret
  // exists) only need names. Not granted (see the header).
  K('Secret', 'v1', 'secrets', { metadataOnly: true, notGranted: true }),
  K('PersistentVolume', 'v1', 'persistentvolumes'),
  K('PersistentVolumeClaim', 'v1', 'persistentvolumeclaims'),
  K('Endpoints', 'v1', 'endpoints'),
  K('Deployment', 'apps/v1', 'deployments'),
  K('ReplicaSet', 'apps/v1', 'replicasets'),
  K('StatefulSet', 'apps/v1', 'statefulsets'),
  K('DaemonSet', 'apps/v1', 'daemonsets'),
  K('Job', 'batch/v1', 'jobs'),
  K('CronJob', 'batch/v1', 'cronjobs'),
  K('EndpointSlice', 'discovery.k8s.io/v1', 'endpointslices'),
  K('NetworkPolicy', 'networking.k8s.io/v1', 'networkpolicies'),
  K('Ingress', 'networking.k8s.io/v1', 'ingresses'),
  K('Role', 'rbac.authorization.k8s.io/v1', 'roles'),
  K('ClusterRole', 'rbac.authorization.k8s.io/v1', 'clusterroles'),
  K('RoleBinding', 'rbac.authorization.k8s.io/v1', 'rolebindings'),
  K('ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', 'clusterrolebindings'),
  K('ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations'),
  K('MutatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', 'mutatingwebhookconfigurations'),
  K('HorizontalPodAutoscaler', 'autoscaling/v2', 'horizontalpodautoscalers'),
  K('PodDisruptionBudget', 'policy/v1', 'poddisruptionbudgets'),
  K('PodSecurityPolicy', 'policy/v1beta1', 'podsecuritypolicies'),
  K('Lease', 'coordination.k8s.io/v1', 'leases'),
  K('StorageClass', 'storage.k8s.io/v1', 'storageclasses'),
  K('CSIStorageCapacity', 'storage.k8s.io/v1', 'csistoragecapacities'),
  K('HTTPRoute', 'gateway.networking.k8s.io/v1', 'httproutes'),
  K('TCPRoute', 'gateway.networking.k8s.io/v1alpha2', 'tcproutes'),
  K('UDPRoute', 'gateway.networking.k8s.io/v1alpha2', 'udproutes'),
  K('CiliumNetworkPolicy', 'cilium.io/v2', 'ciliumnetworkpolicies'),
  K('CiliumClusterwideNetworkPolicy', 'cilium.io/v2', 'ciliumclusterwidenetworkpolicies'),
  // CRDs of C-0297/C-0301/C-0303/C-0304 (Agent Sandbox) and C-0266 (Istio) that the scan's
  // ClusterRole (knative/) does not grant yet: evaluated by `kscape scan` of manifests only.
  K('SandboxTemplate', 'extensions.agents.x-k8s.io/v1beta1', 'sandboxtemplates', { notGranted: true }),
  K('VirtualService', 'networking.istio.io/v1', 'virtualservices', { notGranted: true }),
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
  return KIND_CATALOG.filter((k) => wanted.has(k.kind) && !k.notGranted);
}
