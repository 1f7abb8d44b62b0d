/**
 * Control configuration inputs (Kubescape `postureControlInputs`): defaults from regolibrary's
 * `default-config-inputs.json` (shared/reference/controls.md §6), overridable by a controls-inputs
 * document (JSON or YAML) or by the data of a ConfigMap.
 *
 * Values are string lists, as in Rego (`data.postureControlInputs.<key>`): numbers in the file are
 * kept as their string form so `memory_limit_max: [512Mi]` and `["1"]` both work.
 */
import { parse as parseYaml } from 'yaml';
import { isRecord, rec } from './objects.js';

export type ControlInputs = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_CONTROL_INPUTS: ControlInputs = Object.freeze({
  imageRepositoryAllowList: [],
  imageDigestExemptRepositories: [],
  floatingImageTags: [],
  trustedCosignPublicKeys: [],
  insecureCapabilities: [
    'SETPCAP',
    'NET_ADMIN',
    'NET_RAW',
    'SYS_MODULE',
    'SYS_RAWIO',
    'SYS_PTRACE',
    'SYS_ADMIN',
    'SYS_BOOT',
    'MAC_OVERRIDE',
    'MAC_ADMIN',
    'PERFMON',
    'ALL',
    'BPF',
  ],
  publicRegistries: [],
  untrustedRegistries: [],
  sensitiveInterfaces: [
    'nifi',
    'argo-server',
    'weave-scope-app',
    'kubeflow',
    'kubernetes-dashboard',
    'jenkins',
    'prometheus-deployment',
    'ollama',
    'vllm',
    'kserve',
    'triton-inference-server',
    'ray-dashboard',
    'ray-head',
    'mlflow',
    'jupyterhub',
    'seldon',
    'bentoml',
  ],
  max_critical_vulnerabilities: ['5'],
  max_high_vulnerabilities: ['10'],
  sensitiveKeyNames: [
    'aws_secret_access_key',
    'azure_batchai_storage_key',
    'azure_batch_key',
    'secret',
    'key',
    'password',
    'pwd',
    'token',
    'jwt',
    'bearer',
    'credential',
  ],
  sensitiveValues: [
    'BEGIN \\w+ PRIVATE KEY',
    'PRIVATE KEY',
    'eyJhbGciO',
    'JWT',
    'Bearer',
    '_key_',
    '_secret_',
    'AKIA[0-9A-Z]{16}',
    'ghp_[0-9A-Za-z]{36}',
    'AIza[0-9A-Za-z\\-_]{35}',
    'xox[baprs]-[0-9A-Za-z]{10,48}',
  ],
  sensitiveKeyNamesAllowed: [],
  sensitiveValuesAllowed: [],
  memory_request_max: [],
  memory_request_min: ['0'],
  memory_limit_max: [],
  memory_limit_min: ['0'],
  cpu_request_max: [],
  cpu_request_min: ['0'],
  cpu_limit_max: [],
  cpu_limit_min: ['0'],
  sandbox_cpu_limit_max: [],
  sandbox_memory_limit_max: [],
  recommendedLabels: ['app', 'tier', 'phase', 'version', 'owner', 'env'],
  k8sRecommendedLabels: [
    'app.kubernetes.io/name',
    'app.kubernetes.io/instance',
    'app.kubernetes.io/version',
    'app.kubernetes.io/component',
    'app.kubernetes.io/part-of',
    'app.kubernetes.io/managed-by',
    'app.kubernetes.io/created-by',
  ],
  hardenedSandboxRuntimeClasses: ['gvisor'],
  servicesNames: [
    'nifi-service',
    'argo-server',
    'minio',
    'postgres',
    'workflow-controller-metrics',
    'weave-scope-app',
    'kubernetes-dashboard',
  ],
  wlKnownNames: [
    'coredns',
    'kube-proxy',
    'event-exporter-gke',
    'kube-dns',
    '17-default-backend',
    'metrics-server',
    'ca-audit',
    'ca-dashboard-aggregator',
    'ca-notification-server',
    'ca-ocimage',
    'ca-oracle',
    'ca-posture',
    'ca-rbac',
    'ca-vuln-scan',
    'ca-webhook',
    'ca-websocket',
    'clair-clair',
  ],
});

export class ControlInputsError extends Error {
  override name = 'ControlInputsError';
}

function toStringList(key: string, value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new ControlInputsError(`control input ${key}[${i}] must be a string, got ${typeof v}`);
    });
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return [String(value)];
  throw new ControlInputsError(`control input ${key} must be a list of strings`);
}

/**
 * Locate the inputs map in the accepted document shapes:
 * - Kubescape customer config / `default-config-inputs.json`: `{settings: {postureControlInputs: {...}}}`
 * - `{postureControlInputs: {...}}`
 * - the flat map itself (`kubescape download controls-inputs` output).
 */
function inputsMap(doc: unknown): Record<string, unknown> {
  const r = rec(doc);
  if (!r) throw new ControlInputsError('control inputs document must be a JSON/YAML object');
  const settings = rec(r.settings);
  if (settings && isRecord(settings.postureControlInputs)) return settings.postureControlInputs;
  if (isRecord(r.postureControlInputs)) return r.postureControlInputs;
  return r;
}

/** Defaults overridden key by key by `overrides` (keys absent in the override keep their default). */
export function mergeInputs(base: ControlInputs, overrides: Record<string, unknown>): ControlInputs {
  const out: Record<string, readonly string[]> = { ...base };
  for (const [k, v] of Object.entries(overrides)) out[k] = toStringList(k, v);
  return Object.freeze(out);
}

/** Parse a controls-inputs document (JSON or YAML text) and merge it over the defaults. */
export function parseControlInputs(
  text: string,
  base: ControlInputs = DEFAULT_CONTROL_INPUTS,
): ControlInputs {
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    throw new ControlInputsError(`control inputs: cannot parse document: ${(err as Error).message}`);
  }
  return mergeInputs(base, inputsMap(doc));
}

/**
 * Inputs from a ConfigMap's `data`. Two layouts are accepted: one key holding a whole document
 * (any key whose value parses as an object, e.g. `config.json` or `controls-inputs.yaml`), or one
 * key per input whose value is a JSON/YAML list (`["a","b"]`) or a comma/newline-separated string.
 */
export function controlInputsFromConfigMap(
  data: Record<string, string>,
  base: ControlInputs = DEFAULT_CONTROL_INPUTS,
): ControlInputs {
  let out = base;
  const flat: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(data)) {
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch {
      parsed = text;
    }
    if (isRecord(parsed)) {
      out = mergeInputs(out, inputsMap(parsed));
    } else if (Array.isArray(parsed)) {
      flat[key] = parsed;
    } else if (typeof text === 'string') {
      flat[key] = text
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    }
  }
  return mergeInputs(out, flat);
}
