import {
  bool,
  bytes,
  duration,
  int,
  list,
  loadConfig,
  num,
  oneOf,
  optionalStr,
  str,
  type ConfigOf,
  type Env,
} from '../../lib/config/env.js';

export const EXPORT_KINDS = ['configscan', 'vulnscan', 'inventory', 'sboms'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
/** The words for the same selections (posture = configscan, vulnerabilities = vulnscan). */
export const EXPORT_KIND_ALIASES: Readonly<Record<string, ExportKind>> = {
  posture: 'configscan',
  vulnerabilities: 'vulnscan',
  sbom: 'sboms',
};
/** Default selection: SBOMs (often tens of MB per image) only when asked for. */
export const DEFAULT_EXPORT_KINDS: readonly ExportKind[] = ['configscan', 'vulnscan', 'inventory'];
const KIND_WORDS = [...EXPORT_KINDS, ...Object.keys(EXPORT_KIND_ALIASES)];

/** Kubescape's fallback account when none is configured (kubescape/backend). */
export const DEFAULT_ACCOUNT = '11111111-1111-1111-1111-111111111111';

export const exportConfigSpec = {
  KSCAPE_PROVIDER_URL: list({
    doc: 'Provider endpoint(s) results are delivered to, comma-separated; empty disables export. For the kubescape format, the event-receiver base URL (paths /k8s/v2/... are appended).',
    default: [],
  }),
  KSCAPE_PROVIDER_SECRET: optionalStr({
    doc: 'Standard Webhooks secret(s) `whsec_<base64>`, comma-separated; every delivery carries one signature per secret (rotation: add the new one, let the provider switch, drop the old). Required when KSCAPE_PROVIDER_URL is set.',
    secret: true,
  }),
  KSCAPE_PROVIDER_FORMAT: oneOf(['cloudevents', 'kubescape'] as const, {
    doc: 'Payload format: the event as structured CloudEvents JSON, or Kubescape reports (PostureReport v2 / ScanResultReport chunks with X-API-KEY and customerGUID).',
    default: 'cloudevents',
  }),
  KSCAPE_PROVIDER_ACCOUNT: str({
    doc: 'customerGUID sent in kubescape-format reports.',
    default: DEFAULT_ACCOUNT,
    pattern: /^[A-Za-z0-9-]{1,64}$/,
  }),
  KSCAPE_PROVIDER_ACCESS_KEY: optionalStr({
    doc: "X-API-KEY header of kubescape-format reports (Kubescape's `accessKey`).",
    secret: true,
  }),
  KSCAPE_PROVIDER_RATE_LIMIT: num({
    doc: 'Requests per second to each provider URL (token bucket, burst = max(1, rate)); 0 = unlimited.',
    default: 10,
    min: 0,
    max: 10_000,
  }),
  KSCAPE_CLUSTER_NAME: str({
    doc: 'Cluster name in kubescape-format reports and the inventory.',
    default: 'kscape',
    pattern: /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  }),
  KSCAPE_EXPORT_KINDS: list({
    doc: `What to export: ${EXPORT_KINDS.join(', ')} (aliases: posture, vulnerabilities, sbom). sboms: the SBOMSPDXv2p3 of each scanned image (cloudevents format only).`,
    default: [...DEFAULT_EXPORT_KINDS],
    item: new RegExp(`^(${KIND_WORDS.join('|')})$`),
  }),
  KSCAPE_EXPORT_RESULTS_CHUNK: bytes({
    doc: 'cloudevents format: largest body of one result/SBOM chunk (posture results, vulnerability manifests, SBOMs are cut to fit; an item that cannot fit alone is left out and counted in data.omitted).',
    default: 1_048_576,
  }),
  KSCAPE_EXPORT_POSTURE_FULL: bool({
    doc: 'cloudevents format: posture results also carry the full WorkloadConfigurationScan objects (default: only their WorkloadConfigurationScanSummary objects).',
    default: false,
  }),
  KSCAPE_EXPORT_BUDGET: duration({
    doc: 'Time the handler spends retrying one delivery before handing the event back to the broker (503), whose DeliverySpec retries it and finally dead-letters it.',
    default: 30_000,
    minMs: 100,
  }),
  KSCAPE_EXPORT_BACKOFF_BASE: duration({
    doc: 'First retry waits up to this (full jitter); doubles per attempt.',
    default: 250,
    minMs: 1,
  }),
  KSCAPE_EXPORT_BACKOFF_MAX: duration({
    doc: 'Cap of one backoff wait (a longer Retry-After still wins within the budget).',
    default: 10_000,
    minMs: 1,
  }),
  KSCAPE_EXPORT_REQUEST_TIMEOUT: duration({
    doc: 'Timeout of one HTTP delivery attempt.',
    default: 10_000,
    minMs: 10,
  }),
  KSCAPE_EXPORT_POSTURE_CHUNK: bytes({
    doc: 'kubescape format: a PostureReport chunk is cut when its JSON reaches this size (Kubescape: 2 MiB).',
    default: 2_097_152,
  }),
  KSCAPE_EXPORT_VULN_CHUNK: bytes({
    doc: 'kubescape format: ScanResultReport chunk size (kubevuln: ~30 000 bytes).',
    default: 30_000,
  }),
  KSCAPE_EXPORT_MAX_RESOURCES: int({
    doc: "kubescape format: most raw objects read from the cluster into one posture report's `resources`.",
    default: 100_000,
    min: 0,
  }),
};

export type ExportConfig = ConfigOf<typeof exportConfigSpec>;

export function loadExportConfig(env: Env = process.env): ExportConfig {
  return loadConfig(exportConfigSpec, env);
}
