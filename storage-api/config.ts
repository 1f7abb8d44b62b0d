/**
 * storage-api server configuration (twelve-factor: environment variables with documented
 * defaults). The database (lib/db/config.ts), the store (store/config.ts: event retention, i.e. the
 * compaction window) and authentication/TLS (auth/config.ts) read their own variables; the README
 * tables are `describeConfig` of each spec.
 */
import { bool, bytes, duration, int, loadConfig, optionalStr, str, type ConfigOf, type Env } from '../lib/config/env.js';

export const storageApiConfigSpec = {
  PORT: int({ doc: 'Listen port (the Service maps 443 to it).', default: 8443, min: 0, max: 65535 }),
  KSCAPE_STORAGE_BIND_ADDRESS: str({
    doc: 'Listen address for HTTPS (`::` = all IPv4 and IPv6 addresses). Ignored in insecure local mode, which always binds 127.0.0.1.',
    default: '::',
  }),
  KSCAPE_STORAGE_INSECURE_LOCAL: bool({
    doc: 'DEVELOPMENT ONLY: plain HTTP on 127.0.0.1, no authentication, no authorization (same as --insecure-local).',
    default: false,
  }),
  KSCAPE_STORAGE_REQUEST_TIMEOUT: duration({
    doc: 'Upper bound of every non-watch request; past it the client gets 504 Timeout.',
    default: 60_000,
    minMs: 100,
  }),
  KSCAPE_STORAGE_MAX_REQUESTS_INFLIGHT: int({
    doc: 'Concurrent non-mutating requests (watches excluded) before 429 TooManyRequests, like kube-apiserver --max-requests-inflight.',
    default: 400,
    min: 1,
  }),
  KSCAPE_STORAGE_MAX_MUTATING_REQUESTS_INFLIGHT: int({
    doc: 'Concurrent mutating requests before 429, like --max-mutating-requests-inflight.',
    default: 200,
    min: 1,
  }),
  KSCAPE_STORAGE_MAX_BODY_BYTES: bytes({
    doc: 'Request body limit for kinds whose definition states none (each result kind has its own limit, e.g. 64Mi for SBOMs).',
    default: 3 * 1024 * 1024,
  }),
  KSCAPE_STORAGE_MIN_WATCH_TIMEOUT: duration({
    doc: 'Watches without timeoutSeconds last a random duration in [this, 2x this], spreading reconnects (kube --min-request-timeout).',
    default: 30 * 60_000,
    minMs: 1000,
  }),
  KSCAPE_STORAGE_MAX_WATCH_TIMEOUT: duration({
    doc: 'Cap on a watch duration, including a client-requested timeoutSeconds.',
    default: 2 * 60 * 60_000,
    minMs: 1000,
  }),
  KSCAPE_STORAGE_BOOKMARK_INTERVAL: duration({
    doc: 'Interval of BOOKMARK events on watches that allow them.',
    default: 60_000,
    minMs: 100,
  }),
  KSCAPE_STORAGE_SHUTDOWN_TIMEOUT: duration({
    doc: 'On shutdown, how long in-flight requests may finish before connections are cut.',
    default: 10_000,
    minMs: 0,
  }),
  KSCAPE_SANDBOX: bool({
    doc: 'Also serve built-in kinds (namespaces, pods, deployments, RBAC ...) schema-less, as a sandbox cluster for dev mode and tests.',
    default: false,
  }),
  KSCAPE_SANDBOX_SEED_DIR: optionalStr({
    doc: 'With KSCAPE_SANDBOX: directory of YAML/JSON manifests created at start-up (existing objects are left alone).',
  }),
} as const;

export type StorageApiConfig = ConfigOf<typeof storageApiConfigSpec>;

export function loadStorageApiConfig(env: Env = process.env): StorageApiConfig {
  return loadConfig(storageApiConfigSpec, env);
}
