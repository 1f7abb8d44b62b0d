/**
 * Environment configuration of storage-api authentication, authorization and TLS. The README's
 * table is `describeConfig(authConfigSpec)`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  type ConfigOf,
  type Env,
  type VarSpec,
  bool,
  duration,
  int,
  list,
  loadConfig,
  oneOf,
  optionalStr,
} from '../../lib/config/env.js';
import { DEFAULT_SERVING_HOSTS } from './tls.js';
import { parseStringList } from './extension-auth-config.js';
import type { AuthzMode } from './sar.js';

/** An optional list: unset = "not overridden"; `[]` (JSON) = explicitly empty; else JSON array or comma list. */
function optionalList(doc: string): VarSpec<readonly string[] | undefined> {
  return {
    doc,
    default: undefined,
    allowed: 'a JSON array of strings or a comma-separated list ([] for an explicitly empty list)',
    parse: (raw) => {
      try {
        return parseStringList(raw, 'value');
      } catch (e) {
        return { failure: true, reason: (e as Error).message };
      }
    },
  };
}

export const authConfigSpec = {
  KSCAPE_STORAGE_TLS_CERT_FILE: optionalStr({
    doc: 'PEM serving certificate (chain). Unset together with the key file: a self-signed one is generated at start-up (logged).',
  }),
  KSCAPE_STORAGE_TLS_KEY_FILE: optionalStr({ doc: 'PEM private key of the serving certificate.' }),
  KSCAPE_STORAGE_TLS_HOSTS: list({
    doc: 'DNS names / IPs the generated serving certificate is valid for (first one is the CN).',
    default: DEFAULT_SERVING_HOSTS,
  }),
  KSCAPE_STORAGE_REQUESTHEADER_CA_FILE: optionalStr({
    doc: 'Front-proxy (requestheader) client CA bundle; overrides `requestheader-client-ca-file` from the ConfigMap.',
  }),
  KSCAPE_STORAGE_REQUESTHEADER_ALLOWED_NAMES: optionalList(
    'Allowed front-proxy certificate CNs; overrides the ConfigMap. `[]` = any CN signed by the requestheader CA.',
  ),
  KSCAPE_STORAGE_REQUESTHEADER_USERNAME_HEADERS: optionalList('User name headers (default from ConfigMap, else X-Remote-User).'),
  KSCAPE_STORAGE_REQUESTHEADER_GROUP_HEADERS: optionalList('Group headers (default from ConfigMap, else X-Remote-Group).'),
  KSCAPE_STORAGE_REQUESTHEADER_EXTRA_HEADERS_PREFIX: optionalList('Extra header prefixes (default from ConfigMap, else X-Remote-Extra-).'),
  KSCAPE_STORAGE_REQUESTHEADER_UID_HEADERS: optionalList('UID headers (Kubernetes >= 1.32; default from ConfigMap, else none).'),
  KSCAPE_STORAGE_CLIENT_CA_FILE: optionalStr({
    doc: 'Client CA for plain client-certificate authentication (CN = user, O = groups); overrides `client-ca-file` from the ConfigMap.',
  }),
  KSCAPE_STORAGE_AUTH_KUBECONFIG: optionalStr({
    doc: 'Kubeconfig used for TokenReview, SubjectAccessReview and the ConfigMap. Unset: $KUBECONFIG, else in-cluster service account, else ~/.kube/config.',
  }),
  KSCAPE_STORAGE_AUTHN_SKIP_LOOKUP: bool({
    doc: 'Do not read kube-system/extension-apiserver-authentication (use only the file overrides).',
    default: false,
  }),
  KSCAPE_STORAGE_AUTHN_TOLERATE_LOOKUP_FAILURE: bool({
    doc: 'Start even if the ConfigMap cannot be read at start-up (front-proxy auth stays off until a refresh succeeds).',
    default: false,
  }),
  KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH: duration({
    doc: 'How often the ConfigMap, the CA override files and the serving certificate files are re-read (CA rotation, certificate renewal). 0 disables.',
    default: 300_000,
    minMs: 0,
  }),
  KSCAPE_STORAGE_TOKEN_AUTH: bool({ doc: 'Accept bearer tokens, verified with TokenReview.', default: true }),
  KSCAPE_STORAGE_TOKEN_AUDIENCES: list({
    doc: 'Audiences requested in TokenReviews; empty = the API server audiences.',
    default: [],
  }),
  KSCAPE_STORAGE_AUTHN_CACHE_TTL: duration({ doc: 'How long an authenticated token is cached.', default: 10_000, minMs: 0 }),
  KSCAPE_STORAGE_AUTHN_NEGATIVE_CACHE_TTL: duration({ doc: 'How long a rejected token is cached.', default: 2_000, minMs: 0 }),
  KSCAPE_STORAGE_AUTHZ_MODE: oneOf(['delegated', 'always-allow'] as const, {
    doc: '`delegated`: SubjectAccessReview to kube-apiserver. `always-allow`: every authenticated request is allowed (only when the Service is reachable by kube-apiserver alone; see README).',
    default: 'delegated',
  }),
  KSCAPE_STORAGE_AUTHZ_CACHE_TTL: duration({ doc: 'How long an allowed SubjectAccessReview is cached.', default: 10_000, minMs: 0 }),
  KSCAPE_STORAGE_AUTHZ_DENY_CACHE_TTL: duration({ doc: 'How long a denied SubjectAccessReview is cached.', default: 10_000, minMs: 0 }),
  KSCAPE_STORAGE_AUTH_CACHE_MAX_ENTRIES: int({ doc: 'Bound of each of the token and authorization caches.', default: 10_000, min: 1 }),
  KSCAPE_STORAGE_AUTH_TIMEOUT: duration({
    doc: 'Deadline of each TokenReview / SubjectAccessReview / ConfigMap call.',
    default: 5_000,
    minMs: 100,
  }),
} satisfies Record<string, VarSpec<unknown>>;

export type AuthEnvConfig = ConfigOf<typeof authConfigSpec>;

/** Options of `createAuth`, in code terms. */
export interface AuthOptions {
  tls: { certFile?: string; keyFile?: string; hosts: readonly string[] };
  requestHeader: {
    caFile?: string;
    allowedNames?: readonly string[];
    usernameHeaders?: readonly string[];
    groupHeaders?: readonly string[];
    extraHeaderPrefixes?: readonly string[];
    uidHeaders?: readonly string[];
  };
  clientCAFile?: string;
  kubeconfigPath?: string;
  skipLookup: boolean;
  tolerateLookupFailure: boolean;
  refreshMs: number;
  token: { enabled: boolean; audiences: readonly string[]; ttlMs: number; negativeTtlMs: number };
  authz: { mode: AuthzMode; allowTtlMs: number; denyTtlMs: number };
  cacheMaxEntries: number;
  timeoutMs: number;
}

export function authOptionsFromEnv(env: Env = process.env): AuthOptions {
  const c = loadConfig(authConfigSpec, env);
  const opt = <T>(v: T | undefined): T | undefined => v;
  return {
    tls: {
      ...(c.KSCAPE_STORAGE_TLS_CERT_FILE ? { certFile: c.KSCAPE_STORAGE_TLS_CERT_FILE } : {}),
      ...(c.KSCAPE_STORAGE_TLS_KEY_FILE ? { keyFile: c.KSCAPE_STORAGE_TLS_KEY_FILE } : {}),
      hosts: c.KSCAPE_STORAGE_TLS_HOSTS,
    },
    requestHeader: stripUndefined({
      caFile: opt(c.KSCAPE_STORAGE_REQUESTHEADER_CA_FILE),
      allowedNames: c.KSCAPE_STORAGE_REQUESTHEADER_ALLOWED_NAMES,
      usernameHeaders: c.KSCAPE_STORAGE_REQUESTHEADER_USERNAME_HEADERS,
      groupHeaders: c.KSCAPE_STORAGE_REQUESTHEADER_GROUP_HEADERS,
      extraHeaderPrefixes: c.KSCAPE_STORAGE_REQUESTHEADER_EXTRA_HEADERS_PREFIX,
      uidHeaders: c.KSCAPE_STORAGE_REQUESTHEADER_UID_HEADERS,
    }),
    ...(c.KSCAPE_STORAGE_CLIENT_CA_FILE ? { clientCAFile: c.KSCAPE_STORAGE_CLIENT_CA_FILE } : {}),
    ...(c.KSCAPE_STORAGE_AUTH_KUBECONFIG ? { kubeconfigPath: c.KSCAPE_STORAGE_AUTH_KUBECONFIG } : {}),
    skipLookup: c.KSCAPE_STORAGE_AUTHN_SKIP_LOOKUP,
    tolerateLookupFailure: c.KSCAPE_STORAGE_AUTHN_TOLERATE_LOOKUP_FAILURE,
    refreshMs: c.KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH,
    token: {
      enabled: c.KSCAPE_STORAGE_TOKEN_AUTH,
      audiences: c.KSCAPE_STORAGE_TOKEN_AUDIENCES,
      ttlMs: c.KSCAPE_STORAGE_AUTHN_CACHE_TTL,
      negativeTtlMs: c.KSCAPE_STORAGE_AUTHN_NEGATIVE_CACHE_TTL,
    },
    authz: {
      mode: c.KSCAPE_STORAGE_AUTHZ_MODE,
      allowTtlMs: c.KSCAPE_STORAGE_AUTHZ_CACHE_TTL,
      denyTtlMs: c.KSCAPE_STORAGE_AUTHZ_DENY_CACHE_TTL,
    },
    cacheMaxEntries: c.KSCAPE_STORAGE_AUTH_CACHE_MAX_ENTRIES,
    timeoutMs: c.KSCAPE_STORAGE_AUTH_TIMEOUT,
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The kubeconfig for delegated auth: explicit path, then $KUBECONFIG, then the in-cluster service
 * account, then ~/.kube/config. `undefined` when there is none. (client-node's loadFromDefault
 * would silently fall back to http://localhost:8080, which must never become our authority.)
 */
export function resolveKubeConfig(
  explicitPath?: string,
  env: Env = process.env,
  home: string = homedir(),
): { kc: KubeConfig; source: string } | undefined {
  const kc = new KubeConfig();
  if (explicitPath) {
    kc.loadFromFile(explicitPath);
    return { kc, source: explicitPath };
  }
  if (env.KUBECONFIG) {
    // Same merge rule as kubectl/client-node: the first file wins, later files add entries.
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    kc.loadFromFile(files[0]!);
    for (const f of files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more, true);
    }
    return { kc, source: `$KUBECONFIG (${env.KUBECONFIG})` };
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
    return { kc, source: 'in-cluster service account' };
  }
  const file = join(home, '.kube', 'config');
  if (existsSync(file)) {
    kc.loadFromFile(file);
    return { kc, source: file };
  }
  return undefined;
}
