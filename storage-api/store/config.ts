/** Store tuning, from the environment (documented by describeConfig in the README). */
import { duration, int, loadConfig, type ConfigOf, type Env } from '../../lib/config/env.js';

export const storeConfigSpec = {
  KSCAPE_STORAGE_EVENT_RETENTION: duration({
    doc: 'How long watch history (the event log) is kept; older resourceVersions get 410 Gone / Expired.',
    default: 10 * 60_000,
    minMs: 1_000,
  }),
  KSCAPE_STORAGE_COMPACT_INTERVAL: duration({
    doc: 'Mean interval between compactions (jittered ±50%; replicas skip while another compacts).',
    default: 60_000,
    minMs: 100,
  }),
  KSCAPE_STORAGE_WATCH_POLL_INTERVAL: duration({
    doc: 'Fallback poll of the event log when no NOTIFY arrives (a lost notification costs at most this much latency).',
    default: 1_000,
    minMs: 10,
  }),
  KSCAPE_STORAGE_WATCH_COALESCE: duration({
    doc: 'Upper bound of the adaptive wait between two reads of the event log while watchers are busy: the more a dispatch to the watchers costs, the more events the next one carries (0 = read on every commit).',
    default: 25,
    minMs: 0,
  }),
  KSCAPE_STORAGE_WATCH_BUFFER: int({
    doc: 'Events buffered per watcher; a watcher that falls further behind is closed with 410 so its client re-lists.',
    default: 1_000,
    min: 1,
  }),
  KSCAPE_STORAGE_WRITE_BATCH_MAX: int({
    doc: 'Most writes committed together in one transaction (group commit of concurrent requests).',
    default: 64,
    min: 1,
    max: 10_000,
  }),
  KSCAPE_STORAGE_WRITE_PIPELINE: int({
    doc: 'Write batches in flight per process; a batch is sent while another is in flight only when it is full (they queue on the database write lock; more only adds connections).',
    default: 2,
    min: 1,
    max: 16,
  }),
  KSCAPE_STORAGE_WRITE_LINGER: duration({
    doc: 'Upper bound of how long a write batch waits for the writers of the batch that just committed to come back (at most half that batch\'s duration; 0 = send at once). Each batch costs a WAL flush under the write lock, so one batch of all concurrent writers beats alternating halves.',
    default: 2,
    minMs: 0,
  }),
  KSCAPE_STORAGE_WRITE_BATCH_BYTES: int({
    doc: 'Body bytes above which a write batch is cut (bounds the size of one statement).',
    default: 16 * 1024 * 1024,
    min: 1,
  }),
} as const;

export type StoreConfig = ConfigOf<typeof storeConfigSpec>;

export function loadStoreConfig(env: Env = process.env): StoreConfig {
  return loadConfig(storeConfigSpec, env);
}
