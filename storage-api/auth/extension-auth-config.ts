/**
 * Front-proxy and client-CA configuration from `kube-system/extension-apiserver-authentication`,
 * the ConfigMap kube-apiserver writes for aggregated API servers, with file/env overrides for
 * out-of-cluster and dev runs.
 *
 * The ConfigMap is re-read periodically (default 5 min) so a rotated front-proxy CA is picked
 * up without a restart (k8s.io/apiserver watches it for the same reason). A refresh that fails or
 * yields garbage keeps the previous configuration: losing the CA would 401 every request, while
 * keeping a CA a few minutes longer is the lesser risk during an apiserver hiccup.
 *
 * RBAC: RoleBinding in kube-system to Role `extension-apiserver-authentication-reader`.
 */
import { readFile } from 'node:fs/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log/index.js';
import {
  DEFAULT_EXTRA_HEADER_PREFIXES,
  DEFAULT_GROUP_HEADERS,
  DEFAULT_USERNAME_HEADERS,
  type RequestHeaderConfig,
} from './frontproxy.js';
import { type ParsedCert, parsePemBundle } from './x509verify.js';

export const EXTENSION_AUTH_NAMESPACE = 'kube-system';
export const EXTENSION_AUTH_CONFIGMAP = 'extension-apiserver-authentication';

export interface ConfigMapLike {
  data?: Record<string, string> | null;
}

export interface RequestHeaderAuthConfig extends RequestHeaderConfig {
  /** PEM of `clientCA`, for the TLS server's `ca` option. */
  readonly caPem: string;
}

export interface ClientCAConfig {
  readonly certs: readonly ParsedCert[];
  readonly pem: string;
}

export interface ExtensionAuthConfig {
  /** Absent = front-proxy authentication disabled (no requestheader CA anywhere). */
  readonly requestHeader?: RequestHeaderAuthConfig;
  /** Absent = client-certificate authentication disabled. */
  readonly clientCA?: ClientCAConfig;
}

/** Values that replace what the ConfigMap says (each independently). */
export interface ExtensionAuthOverrides {
  requestHeaderCAFile?: string;
  allowedNames?: readonly string[];
  usernameHeaders?: readonly string[];
  groupHeaders?: readonly string[];
  extraHeaderPrefixes?: readonly string[];
  uidHeaders?: readonly string[];
  clientCAFile?: string;
}

/**
 * List-valued keys are JSON string arrays (`["front-proxy-client"]`). Older writers and humans
 * sometimes leave a bare comma list; accept that too rather than locking everyone out.
 */
export function parseStringList(raw: string | undefined, key: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (s === '' || s === 'null') return [];
  if (s.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      throw new Error(`${key}: not a JSON array: ${(e as Error).message}`, { cause: e });
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${key}: must be a JSON array of strings`);
    return (v as string[]).map((x) => x.trim()).filter(Boolean);
  }
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

const nonEmpty = (l: readonly string[] | undefined): l is readonly string[] => l !== undefined && l.length > 0;

/** Pure parse of the ConfigMap data plus overrides (override file contents passed in as PEM). */
export function parseExtensionAuthConfig(
  cm: ConfigMapLike | undefined,
  overrides: Omit<ExtensionAuthOverrides, 'requestHeaderCAFile' | 'clientCAFile'> & {
    requestHeaderCAPem?: string;
    clientCAPem?: string;
  } = {},
): ExtensionAuthConfig {
  const data = cm?.data ?? {};
  const k = (key: string): string | undefined => data[key];

  let requestHeader: RequestHeaderAuthConfig | undefined;
  const rhPem = overrides.requestHeaderCAPem ?? k('requestheader-client-ca-file');
  if (rhPem && rhPem.trim()) {
    const clientCA = parsePemBundle(rhPem, 'requestheader-client-ca-file');
    const fromCm = {
      allowedNames: parseStringList(k('requestheader-allowed-names'), 'requestheader-allowed-names'),
      usernameHeaders: parseStringList(k('requestheader-username-headers'), 'requestheader-username-headers'),
      groupHeaders: parseStringList(k('requestheader-group-headers'), 'requestheader-group-headers'),
      extraHeaderPrefixes: parseStringList(k('requestheader-extra-headers-prefix'), 'requestheader-extra-headers-prefix'),
      uidHeaders: parseStringList(k('requestheader-uid-headers'), 'requestheader-uid-headers'),
    };
    requestHeader = {
      clientCA,
      caPem: rhPem,
      // Empty allowed names is meaningful (any CN from this CA), so it is taken as-is.
      allowedNames: [...(overrides.allowedNames ?? fromCm.allowedNames ?? [])],
      // Empty header lists would make the front proxy unusable; fall back to kube's defaults,
      // which is what the aggregator actually sends.
      usernameHeaders: [...(nonEmpty(overrides.usernameHeaders) ? overrides.usernameHeaders : nonEmpty(fromCm.usernameHeaders) ? fromCm.usernameHeaders : DEFAULT_USERNAME_HEADERS)],
      groupHeaders: [...(nonEmpty(overrides.groupHeaders) ? overrides.groupHeaders : nonEmpty(fromCm.groupHeaders) ? fromCm.groupHeaders : DEFAULT_GROUP_HEADERS)],
      extraHeaderPrefixes: [
        ...(nonEmpty(overrides.extraHeaderPrefixes)
          ? overrides.extraHeaderPrefixes
          : nonEmpty(fromCm.extraHeaderPrefixes)
            ? fromCm.extraHeaderPrefixes
            : DEFAULT_EXTRA_HEADER_PREFIXES),
      ],
      uidHeaders: [...(overrides.uidHeaders ?? fromCm.uidHeaders ?? [])],
    };
  }

  let clientCA: ClientCAConfig | undefined;
  const ccPem = overrides.clientCAPem ?? k('client-ca-file');
  if (ccPem && ccPem.trim()) clientCA = { certs: parsePemBundle(ccPem, 'client-ca-file'), pem: ccPem };

  return { ...(requestHeader ? { requestHeader } : {}), ...(clientCA ? { clientCA } : {}) };
}

/** PEM bundles the TLS server should list as acceptable client-certificate issuers. */
export function clientCAPems(cfg: ExtensionAuthConfig): string[] {
  return [cfg.requestHeader?.caPem, cfg.clientCA?.pem].filter((p): p is string => !!p);
}

/** Read the ConfigMap with client-node; `undefined` when it does not exist. */
export function configMapFetcher(kc: KubeConfig, timeoutMs = 10_000): () => Promise<ConfigMapLike | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${EXTENSION_AUTH_NAMESPACE}/${EXTENSION_AUTH_CONFIGMAP} timed out after ${timeoutMs}ms`)), timeoutMs);
    });
    try {
      return await Promise.race([
        api.readNamespacedConfigMap({ name: EXTENSION_AUTH_CONFIGMAP, namespace: EXTENSION_AUTH_NAMESPACE }),
        timeout,
      ]);
    } catch (e) {
      if ((e as { code?: unknown }).code === 404) return undefined;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface ExtensionAuthConfigLoaderOptions {
  /** Source of the ConfigMap; omit when running without a cluster (overrides only). */
  fetchConfigMap?: () => Promise<ConfigMapLike | undefined>;
  overrides?: ExtensionAuthOverrides;
  /** Re-read interval; 0 disables refresh. Default 5 min. */
  refreshMs?: number;
  /** Start even when the first ConfigMap read fails (kube --authentication-tolerate-lookup-failure). */
  tolerateLookupFailure?: boolean;
  log?: Logger;
}

export type ConfigListener = (cfg: ExtensionAuthConfig) => void;

export class ExtensionAuthConfigLoader {
  private cfg: ExtensionAuthConfig = {};
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ConfigListener[] = [];
  private fingerprint = '';
  private started = false;

  constructor(private readonly opts: ExtensionAuthConfigLoaderOptions) {}

  current(): ExtensionAuthConfig {
    return this.cfg;
  }

  onChange(l: ConfigListener): void {
    this.listeners.push(l);
  }

  /** First load (throws unless lookup failures are tolerated) and start the refresh timer. */
  async start(): Promise<ExtensionAuthConfig> {
    try {
      await this.load();
    } catch (e) {
      if (!this.opts.tolerateLookupFailure) throw e;
      this.opts.log?.warn({ err: e }, 'cannot load front-proxy/client-CA configuration; continuing without, will retry');
    }
    this.started = true;
    const every = this.opts.refreshMs ?? 300_000;
    if (every > 0 && this.opts.fetchConfigMap) {
      this.timer = setInterval(() => void this.refresh(), every);
      this.timer.unref();
    }
    this.describe();
    return this.cfg;
  }

  /** Reload now; on failure keep the previous configuration and log. Returns whether it changed. */
  async refresh(): Promise<boolean> {
    try {
      return await this.load();
    } catch (e) {
      this.opts.log?.warn({ err: e }, 'refreshing front-proxy/client-CA configuration failed; keeping the previous one');
      return false;
    }
  }

  private async load(): Promise<boolean> {
    const o = this.opts.overrides ?? {};
    const [cm, requestHeaderCAPem, clientCAPem] = await Promise.all([
      this.opts.fetchConfigMap ? this.opts.fetchConfigMap() : Promise.resolve(undefined),
      o.requestHeaderCAFile ? readFile(o.requestHeaderCAFile, 'utf8') : Promise.resolve(undefined),
      o.clientCAFile ? readFile(o.clientCAFile, 'utf8') : Promise.resolve(undefined),
    ]);
    if (this.opts.fetchConfigMap && !cm) {
      this.opts.log?.warn(`${EXTENSION_AUTH_NAMESPACE}/${EXTENSION_AUTH_CONFIGMAP} not found: front-proxy and client-certificate authentication use overrides only`);
    }
    const next = parseExtensionAuthConfig(cm, {
      ...o,
      ...(requestHeaderCAPem !== undefined ? { requestHeaderCAPem } : {}),
      ...(clientCAPem !== undefined ? { clientCAPem } : {}),
    });
    const fp = JSON.stringify({
      rh: next.requestHeader && { ...next.requestHeader, clientCA: next.requestHeader.clientCA.map((c) => c.fingerprint) },
      cc: next.clientCA?.certs.map((c) => c.fingerprint),
    });
    this.cfg = next;
    if (fp === this.fingerprint) return false;
    this.fingerprint = fp;
    // Listeners hear about changes after start(): the initial state is what createAuth builds from.
    if (this.started) {
      this.describe('front-proxy/client-CA configuration changed');
      for (const l of this.listeners) {
        try {
          l(next);
        } catch (e) {
          this.opts.log?.error({ err: e }, 'auth configuration listener failed');
        }
      }
    }
    return true;
  }

  private describe(msg = 'front-proxy/client-CA configuration loaded'): void {
    const rh = this.cfg.requestHeader;
    this.opts.log?.info(
      {
        requestHeader: rh
          ? {
              cas: rh.clientCA.map((c) => ({ subject: c.parsed.subject, notAfter: c.notAfter.toISOString() })),
              allowedNames: rh.allowedNames,
              usernameHeaders: rh.usernameHeaders,
              groupHeaders: rh.groupHeaders,
              extraHeaderPrefixes: rh.extraHeaderPrefixes,
              uidHeaders: rh.uidHeaders,
            }
          : 'disabled',
        clientCA: this.cfg.clientCA ? this.cfg.clientCA.certs.map((c) => c.parsed.subject) : 'disabled',
      },
      msg,
    );
    if (rh && rh.allowedNames.length === 0) {
      this.opts.log?.warn('requestheader allowed names is empty: ANY certificate signed by the requestheader CA may assert users');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
