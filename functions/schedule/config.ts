import { duration, int, list, loadConfig, str, type ConfigOf, type Env } from '../../lib/config/env.js';

import { DEFAULT_EXCLUDED_NAMESPACES } from '../../lib/config/namespaces.js';

export { DEFAULT_EXCLUDED_NAMESPACES };

const ns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const scheduleConfigSpec = {
  KSCAPE_FRAMEWORKS: list({
    doc: 'Frameworks of the scheduled posture scan (Kubescape operator start-up default).',
    default: ['allcontrols', 'nsa', 'mitre', 'security'],
    item: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  }),
  KSCAPE_INCLUDE_NAMESPACES: list({
    doc: 'Only scan these namespaces (empty = all but the excluded ones).',
    default: [],
    item: ns,
  }),
  KSCAPE_EXCLUDE_NAMESPACES: list({
    doc: 'Never scan these namespaces.',
    default: DEFAULT_EXCLUDED_NAMESPACES,
    item: ns,
  }),
  KSCAPE_NAKED_POD_GUARD: duration({
    doc: 'A pod without an owner is scanned for vulnerabilities only once it has run this long (Kubescape podScanGuardTime).',
    default: 3_600_000,
    minMs: 0,
  }),
  KSCAPE_DEBOUNCE_WINDOW: duration({
    doc: 'Continuous scanning: an object is rescanned this long after its last change (bursts give one scan).',
    default: 30_000,
    minMs: 0,
  }),
  KSCAPE_DEBOUNCE_MAX_WAIT: duration({
    doc: 'Continuous scanning: an object that keeps changing is still rescanned this long after its first change.',
    default: 300_000,
    minMs: 0,
  }),
  KSCAPE_IMAGE_RESCAN_AFTER: duration({
    doc: 'A new pod using an image digest requests a vulnerability scan only if none was requested for it this recently (the daily vulnerability ping rescans everything).',
    default: 86_400_000,
    minMs: 0,
  }),
  KSCAPE_IMAGE_GC_GRACE: duration({
    doc: "Garbage collection keeps an image's SBOM and vulnerability manifest this long after the last pod running it is gone (a rollback or the next CronJob run then needs no rescan).",
    default: 86_400_000,
    minMs: 0,
  }),
  KSCAPE_TICK_BATCH: int({
    doc: 'Most debounced items one tick flushes (the rest wait for the next tick).',
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  KSCAPE_NAMESPACE: str({
    doc: "The operator's namespace, where results of cluster-scoped resources and RBAC triplets live.",
    default: 'kubescape',
    pattern: ns,
  }),
};

export type ScheduleConfig = ConfigOf<typeof scheduleConfigSpec>;

export function loadScheduleConfig(env: Env = process.env): ScheduleConfig {
  return loadConfig(scheduleConfigSpec, env);
}
