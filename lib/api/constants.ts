/**
 * Identifiers of the `spdx.softwarecomposition.kubescape.io/v1beta1` API: group, version, kinds,
 * and the Kubescape label/annotation keys (k8s-interface `instanceidhandler/v1/helpers/keys.go`,
 * kubevuln, kubescape; reference/storage-api.md §3). Existing consumers (exporters, dashboards,
 * Kubescape's own cleanup) key on these exact strings, so they are spelled once, here.
 */

export const GROUP = 'spdx.softwarecomposition.kubescape.io';
export const VERSION = 'v1beta1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const KINDS = {
  ConfigurationScanSummary: 'ConfigurationScanSummary',
  SBOMSPDXv2p3: 'SBOMSPDXv2p3',
  SBOMSPDXv2p3Filtered: 'SBOMSPDXv2p3Filtered',
  SBOMSummary: 'SBOMSummary',
  VulnerabilityManifest: 'VulnerabilityManifest',
  VulnerabilityManifestSummary: 'VulnerabilityManifestSummary',
  VulnerabilitySummary: 'VulnerabilitySummary',
  WorkloadConfigurationScan: 'WorkloadConfigurationScan',
  WorkloadConfigurationScanSummary: 'WorkloadConfigurationScanSummary',
} as const;
export type KindName = keyof typeof KINDS;

/** Plural resource names (URL segment), as Kubescape's storage serves them. */
export const PLURALS: Record<KindName, string> = {
  ConfigurationScanSummary: 'configurationscansummaries',
  SBOMSPDXv2p3: 'sbomspdxv2p3s',
  SBOMSPDXv2p3Filtered: 'sbomspdxv2p3filtereds',
  SBOMSummary: 'sbomsummaries',
  VulnerabilityManifest: 'vulnerabilitymanifests',
  VulnerabilityManifestSummary: 'vulnerabilitymanifestsummaries',
  VulnerabilitySummary: 'vulnerabilitysummaries',
  WorkloadConfigurationScan: 'workloadconfigurationscans',
  WorkloadConfigurationScanSummary: 'workloadconfigurationscansummaries',
};

const P = 'kubescape.io/';

/** Label keys (values must be valid label values; writers sanitise). */
export const LABELS = {
  workloadApiGroup: `${P}workload-api-group`,
  workloadApiVersion: `${P}workload-api-version`,
  workloadKind: `${P}workload-kind`,
  workloadName: `${P}workload-name`,
  workloadNamespace: `${P}workload-namespace`,
  workloadContainerName: `${P}workload-container-name`,
  workloadResourceVersion: `${P}workload-resource-version`,
  instanceTemplateHash: `${P}instance-template-hash`,
  context: `${P}context`,
  imageId: `${P}image-id`,
  imageName: `${P}image-name`,
  imageTag: `${P}image-tag`,
  sbomType: `${P}sbom-type`,
  rbacResource: `${P}rbac-resource`,
  roleName: `${P}role-name`,
  roleNamespace: `${P}role-namespace`,
  roleBindingName: `${P}rolebinding-name`,
  roleBindingNamespace: `${P}rolebinding-namespace`,
  clusterRoleName: `${P}clusterrole-name`,
  clusterRoleBindingName: `${P}clusterrolebinding-name`,
  userDefinedProfile: `${P}user-defined-profile`,
} as const;

/** Annotation keys (values are free-form strings). */
export const ANNOTATIONS = {
  wlid: `${P}wlid`,
  instanceId: `${P}instance-id`,
  imageId: `${P}image-id`,
  imageTag: `${P}image-tag`,
  toolVersion: `${P}tool-version`,
  status: `${P}status`,
  statusReason: `${P}status-reason`,
  completion: `${P}completion`,
  resourceSize: `${P}resource-size`,
  syncChecksum: `${P}sync-checksum`,
  managedBy: `${P}managed-by`,
  workloadContainerName: `${P}workload-container-name`,
  workloadContainerType: `${P}workload-container-type`,
  /** VMS only: scan time in Unix seconds (kubevuln-local key). */
  timestamp: `${P}timestamp`,
  scanId: `${P}scan-id`,
  cveMatchingMode: `${P}cve-matching-mode`,
  vendorTrustedMatch: `${P}vendor-trusted-match`,
  maxImageSize: `${P}max-image-size`,
  maxSbomSize: `${P}max-sbom-size`,
  resolvedPlatform: `${P}resolved-platform`,
} as const;

/** Values of the `kubescape.io/status` annotation. */
export const STATUS = {
  initializing: 'initializing',
  /** Kubescape's const name is `Learning`; the wire value is `ready`. */
  ready: 'ready',
  completed: 'completed',
  incomplete: 'incomplete',
  unauthorize: 'unauthorize',
  missingRuntime: 'missing-runtime',
  tooLarge: 'too-large',
  failed: 'failed',
  unsupportedSchema: 'unsupported-schema',
} as const;
export type StatusValue = (typeof STATUS)[keyof typeof STATUS];

/** Values of the `kubescape.io/completion` annotation. */
export const COMPLETION = { partial: 'partial', complete: 'complete' } as const;

/** Values of the `kubescape.io/context` label on VulnerabilityManifest(Summary). */
export const CONTEXT = { filtered: 'filtered', nonFiltered: 'non-filtered' } as const;

/** Values of the `kubescape.io/sbom-type` label. */
export const SBOM_TYPE = { image: 'image', container: 'container', host: 'host', node: 'node' } as const;

/** Value of `kubescape.io/managed-by` marking user-managed objects (skipped by cleanup). */
export const MANAGED_BY_USER = 'User';

/** Container types of an instance ID (`<type>Name-<container>` segment). */
export const CONTAINER_TYPES = ['container', 'initContainer', 'ephemeralContainer'] as const;
export type ContainerType = (typeof CONTAINER_TYPES)[number];

/** Grype severities in the order summaries list them (highest first). */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Control severities of posture scans (WorkloadConfigurationScanSummary.spec.severities keys). */
export const CONTROL_SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type ControlSeverity = (typeof CONTROL_SEVERITIES)[number];

/** Control status values in WorkloadConfigurationScan (`status.status`). */
export const CONTROL_STATUS = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  irrelevant: 'irrelevant',
  error: 'error',
} as const;
