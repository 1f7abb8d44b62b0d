/**
 * Configuration of the vuln function (DESIGN.md §7: one typed config module per component). The
 * vulnerability-DB download settings (`KSCAPE_VULNDB_*`) belong to osv/update.ts and are merged in
 * here so `kscape config` and `loadVulnFunctionConfig` see one table.
 */
import { bool, bytes, duration, list, loadConfig, optionalStr, str, type ConfigOf, type Env } from '../../lib/config/env.js';
import { vulnDbConfigSpec } from './osv/update.js';

const ns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const vulnFunctionConfigSpec = {
  KSCAPE_NAMESPACE: str({
    doc: "The operator's namespace: SBOMs and VulnerabilityManifests are written there (summaries go to the workload's namespace).",
    default: 'kubescape',
    pattern: ns,
  }),
  KSCAPE_CLUSTER_NAME: str({
    doc: 'Cluster name used in the kubescape.io/wlid annotation of summaries and filtered manifests.',
    default: 'kscape',
    pattern: /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  }),
  KSCAPE_VULN_PLATFORM: str({
    doc: 'Platform picked from multi-platform images (os/arch[/variant]).',
    default: 'linux/amd64',
    pattern: /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/,
  }),
  KSCAPE_VULN_INSECURE_REGISTRIES: list({
    doc: 'Registries (host[:port]) reached over plain HTTP. Never used for any other registry.',
    default: [],
    item: /^[A-Za-z0-9.-]+(:\d+)?$/,
  }),
  KSCAPE_VULN_PULL_SECRET: optionalStr({
    doc: 'A dockerconfigjson Secret (`namespace/name`) whose credentials are tried for every image, after the workload pull secrets.',
  }),
  KSCAPE_VULN_MAX_IMAGE_SIZE: bytes({
    doc: 'Largest image (sum of compressed layers) cataloged; larger images get status too-large (kubevuln maxImageSize).',
    default: 512 * 1024 * 1024,
  }),
  KSCAPE_VULN_MAX_SBOM_SIZE: bytes({
    doc: 'Largest SBOM stored; a larger one gets status too-large (kubevuln maxSBOMSize).',
    default: 20 * 1024 * 1024,
  }),
  KSCAPE_VULN_SCAN_TIMEOUT: duration({
    doc: 'Time allowed for pulling and cataloging one image; past it the SBOM status is incomplete (kubevuln scanTimeout).',
    default: 5 * 60_000,
    minMs: 1000,
  }),
  KSCAPE_VULN_PARTIAL_RELEVANCY: bool({
    doc: 'Also use relevancy reports of containers not observed from their start (completion partial; kubevuln partialRelevancy).',
    default: false,
  }),
  KSCAPE_VULN_STORE_FILTERED_SBOM: bool({
    doc: 'Store the relevancy-filtered SBOM (SBOMSPDXv2p3Filtered) next to the relevant-only manifest.',
    default: true,
  }),
  KSCAPE_VULNDB_LOAD_WHEN_EMPTY: bool({
    doc: 'When a scan finds the vulnerability DB empty (a fresh install), start loading it from KSCAPE_VULNDB_BASE_URL at once instead of waiting for the scheduled refresh; the scan is retried meanwhile.',
    default: true,
  }),
  KSCAPE_VULN_IGNORE_RULES: optionalStr({
    doc: 'JSON list of ignore rules [{vulnerability?, package?: {name?, type?}, fixState?}]; matched findings go to ignoredMatches.',
  }),
  ...vulnDbConfigSpec,
};

export type VulnFunctionConfig = ConfigOf<typeof vulnFunctionConfigSpec>;

export function loadVulnFunctionConfig(env: Env = process.env): VulnFunctionConfig {
  return loadConfig(vulnFunctionConfigSpec, env);
}
