/**
 * Configuration of the scan function (DESIGN.md §7: one typed config module per component).
 * `config.ts` in this folder belongs to the posture engine; this one is the function's.
 */
import { int, list, optionalStr, str, loadConfig, type ConfigOf, type Env } from '../../lib/config/env.js';

import { DEFAULT_EXCLUDED_NAMESPACES as DEFAULT_SCAN_EXCLUDED_NAMESPACES } from '../../lib/config/namespaces.js';

export { DEFAULT_SCAN_EXCLUDED_NAMESPACES };

const ns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const scanFunctionConfigSpec = {
  KSCAPE_NAMESPACE: str({
    doc: "The operator's namespace: results of cluster-scoped resources and RBAC triplets are written there.",
    default: 'kubescape',
    pattern: ns,
  }),
  KSCAPE_CLUSTER_NAME: str({
    doc: 'Cluster name used in the kubescape.io/wlid annotation of results and in exception matching.',
    default: 'kscape',
    pattern: /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  }),
  KSCAPE_SCAN_DEFAULT_FRAMEWORKS: list({
    doc: 'Frameworks scanned when a request names neither frameworks nor controls (Kubescape operator start-up default).',
    default: ['AllControls', 'NSA', 'MITRE', 'security'],
    item: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  }),
  KSCAPE_SCAN_DEFAULT_EXCLUDE_NAMESPACES: list({
    doc: 'Namespaces skipped when a request names neither namespaces nor excluded namespaces.',
    default: DEFAULT_SCAN_EXCLUDED_NAMESPACES,
    item: ns,
  }),
  KSCAPE_SCAN_PAGE_SIZE: int({
    doc: 'Page size (`limit`) of the cluster lists.',
    default: 500,
    min: 1,
    max: 10_000,
  }),
  KSCAPE_SCAN_CONCURRENCY: int({ doc: 'Kinds listed at the same time.', default: 4, min: 1, max: 64 }),
  KSCAPE_SCAN_WRITE_CONCURRENCY: int({
    doc: 'Result objects written at the same time.',
    default: 8,
    min: 1,
    max: 128,
  }),
  KSCAPE_SCAN_PROGRESS_EVERY: int({
    doc: 'Log progress every this many objects read or results written.',
    default: 1000,
    min: 1,
  }),
  KSCAPE_SCAN_REPLY_MAX_RESULTS: int({
    doc: 'Most result references carried by a configscan.completed reply (failed results first).',
    default: 1000,
    min: 0,
    max: 100_000,
  }),
  KSCAPE_CONTROLS_CONFIG: optionalStr({
    doc: 'Controls-inputs file (Kubescape postureControlInputs, JSON or YAML) overriding the defaults.',
  }),
  KSCAPE_EXCEPTIONS: optionalStr({
    doc: 'Exceptions file (Kubescape PostureExceptionPolicy list, JSON or YAML).',
  }),
};

export type ScanFunctionConfig = ConfigOf<typeof scanFunctionConfigSpec>;

export function loadScanFunctionConfig(env: Env = process.env): ScanFunctionConfig {
  return loadConfig(scanFunctionConfigSpec, env);
}
