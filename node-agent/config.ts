/**
 * node-agent configuration, from the environment (the DaemonSet sets NODE_NAME from the downward
 * API, HOST_ROOT/HOST_PROC to its read-only host mounts, and the SinkBinding injects K_SINK).
 *
 * Relevancy learning defaults follow Kubescape's node-agent (reference operator.md §5.2): first
 * report after `initialDelay` 2m, then every `updateDataPeriod` 10m, learning ends after
 * `maxSniffingTimePerContainer` 24h, each with ±5 % jitter so a DaemonSet rollout does not make
 * every node report in the same second. The procfs scan interval (30s) is Kubescape's
 * `procfsScanInterval`.
 */
import os from 'node:os';
import path from 'node:path';
import {
  bool,
  bytes,
  ConfigError,
  duration,
  int,
  loadConfig,
  num,
  optionalStr,
  optionalUrl,
  str,
  type ConfigOf,
  type Env,
} from '../lib/config/env.js';

export const NODE_AGENT_CONFIG = {
  NODE_NAME: optionalStr({
    doc: 'Name of the node this agent runs on (downward API `spec.nodeName`). Required in a cluster (KUBERNETES_SERVICE_HOST set); elsewhere defaults to the lower-cased host name.',
  }),
  HOST_ROOT: str({
    doc: "Where the host's root filesystem is mounted; host files are read below it and never through symlinks that leave it.",
    default: '/',
  }),
  HOST_PROC: optionalStr({
    doc: "Where the host's procfs is mounted (a mount of the host's /proc shows the host's processes; no hostPID needed). Defaults to `<HOST_ROOT>/proc`.",
  }),
  HEALTH_PORT: int({
    doc: 'Port of the health and metrics server (`/livez`, `/readyz`, `/metrics`); 0 picks a free port.',
    default: 7888,
    min: 0,
    max: 65535,
  }),
  HEALTH_HOST: str({ doc: 'Interface the health server binds; empty means all interfaces.', default: '' }),
  K_SINK: optionalUrl({
    doc: 'Where reports are posted as CloudEvents (the broker ingress, injected by the SinkBinding). Unset: reports are collected and logged but not sent.',
  }),
  KSCAPE_EMIT_TIMEOUT: duration({
    doc: 'Timeout for posting one event to K_SINK.',
    default: 10_000,
    minMs: 1,
  }),
  HOST_SENSOR_ENABLED: bool({
    doc: 'Collect and report host facts (io.kubescape.host.reported).',
    default: true,
  }),
  HOST_REPORT_INTERVAL: duration({
    doc: 'Host facts are re-sent at least this often even when unchanged (Kubescape host sensor: 5m).',
    default: 5 * 60_000,
    minMs: 1000,
  }),
  HOST_CHECK_INTERVAL: duration({
    doc: 'How often host facts are re-collected to detect a change, which is reported immediately.',
    default: 60_000,
    minMs: 1000,
  }),
  HOST_MAX_FILE_BYTES: bytes({
    doc: 'Largest host file (config, manifest, kubeconfig, os-release) read; larger files are reported as truncated/unparsed.',
    default: 1024 * 1024,
  }),
  HOST_MAX_FILES_PER_DIR: int({
    doc: 'Most entries listed in one host directory (PKI, CNI, manifests).',
    default: 512,
    min: 1,
    max: 100_000,
  }),
  RELEVANCY_ENABLED: bool({
    doc: 'Profile files in use per container and report them (io.kubescape.relevancy.reported).',
    default: true,
  }),
  RELEVANCY_SCAN_INTERVAL: duration({
    doc: 'How often procfs is scanned for files in use (Kubescape procfsScanInterval: 30s).',
    default: 30_000,
    minMs: 100,
  }),
  RELEVANCY_INITIAL_DELAY: duration({
    doc: 'Delay from first seeing a container to its first report (Kubescape initialDelay / chart learningPeriod).',
    default: 2 * 60_000,
    minMs: 0,
  }),
  RELEVANCY_UPDATE_PERIOD: duration({
    doc: 'Period of the following reports while learning (Kubescape updateDataPeriod / chart updatePeriod).',
    default: 10 * 60_000,
    minMs: 1,
  }),
  RELEVANCY_MAX_LEARNING_PERIOD: duration({
    doc: 'Learning ends this long after first seeing a container; the last report has complete=true (Kubescape maxSniffingTimePerContainer; pod label kubescape.io/max-sniffing-time overrides).',
    default: 24 * 3_600_000,
    minMs: 0,
  }),
  RELEVANCY_JITTER_PERCENT: num({
    doc: 'Random ± jitter applied to the three learning durations per container (Kubescape maxJitterPercentage).',
    default: 5,
    min: 0,
    max: 50,
  }),
  RELEVANCY_MAX_FILES: int({
    doc: 'Most files remembered per container; past it new files are dropped and reports carry truncated=true (Kubescape status too-large).',
    default: 20_000,
    min: 1,
    max: 200_000,
  }),
  RELEVANCY_MAX_FDS_PER_PROCESS: int({
    doc: 'Most /proc/<pid>/fd entries examined per process and scan (bounds the cost of processes with huge fd tables).',
    default: 4096,
    min: 0,
    max: 1_000_000,
  }),
  RELEVANCY_MAX_MAPS_BYTES: bytes({
    doc: 'Most bytes of /proc/<pid>/maps read per process and scan.',
    default: 4 * 1024 * 1024,
  }),
  RELEVANCY_POD_REFRESH_MIN_INTERVAL: duration({
    doc: 'Least time between two pod lists when an unknown container shows up (the list is filtered to this node).',
    default: 10_000,
    minMs: 0,
  }),
} as const;

type Raw = ConfigOf<typeof NODE_AGENT_CONFIG>;

export interface NodeAgentConfig extends Omit<Raw, 'NODE_NAME' | 'HOST_PROC'> {
  readonly NODE_NAME: string;
  readonly HOST_PROC: string;
}

/** Node names end up in event data validated as DNS-1123 names. */
const DNS1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function loadNodeAgentConfig(
  env: Env = process.env,
  hostname: () => string = os.hostname,
): NodeAgentConfig {
  const raw = loadConfig(NODE_AGENT_CONFIG, env);
  const problems: ConfigError['problems'][number][] = [];
  const inCluster = Boolean(env.KUBERNETES_SERVICE_HOST);
  let nodeName = raw.NODE_NAME;
  if (nodeName === undefined) {
    // In a pod the host name is the pod name, not the node's: guessing would mislabel every report.
    if (inCluster)
      problems.push({
        variable: 'NODE_NAME',
        value: '',
        allowed: 'the node name (downward API spec.nodeName)',
        reason: 'required in a cluster',
      });
    nodeName = hostname().toLowerCase();
  }
  if (!DNS1123.test(nodeName) || nodeName.length > 253)
    problems.push({
      variable: 'NODE_NAME',
      value: nodeName,
      allowed: 'a DNS-1123 subdomain',
      reason: 'node names are DNS-1123 subdomains',
    });
  if (!path.isAbsolute(raw.HOST_ROOT))
    problems.push({ variable: 'HOST_ROOT', value: raw.HOST_ROOT, allowed: 'an absolute path' });
  if (raw.HOST_PROC !== undefined && !path.isAbsolute(raw.HOST_PROC))
    problems.push({ variable: 'HOST_PROC', value: raw.HOST_PROC, allowed: 'an absolute path' });
  if (problems.length) throw new ConfigError(problems);
  return {
    ...raw,
    NODE_NAME: nodeName,
    HOST_ROOT: path.resolve(raw.HOST_ROOT),
    HOST_PROC: path.resolve(raw.HOST_PROC ?? path.join(raw.HOST_ROOT, 'proc')),
  };
}
