/**
 * storage-api authentication, authorization and TLS, assembled.
 *
 * Authenticators run in kube's delegating order: front-proxy (requestheader) certificate, then
 * plain client certificate, then bearer token; the first success wins, and when all fail the
 * request is 401. Authorization is SubjectAccessReview (delegated) or always-allow.
 *
 *   const auth = await createAuth(authOptionsFromEnv());
 *   const server = https.createServer(auth.tls, handler);
 *   auth.attachServer(server);            // follow CA rotation and certificate renewal
 *   ... per request: await auth.authenticator.authenticate(req); await auth.authorizer.authorize(user, attrs)
 *   auth.close();
 */
import type { Server as TlsServer } from 'node:tls';
import type { ServerOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { logger, type Logger } from '../../lib/log/index.js';
import type { CacheStats } from './cache.js';
import { type AuthOptions, resolveKubeConfig } from './config.js';
import {
  type ConfigMapLike,
  ExtensionAuthConfigLoader,
  clientCAPems,
  configMapFetcher,
} from './extension-auth-config.js';
import { ClientCertAuthenticator, type Clock, RequestHeaderAuthenticator } from './frontproxy.js';
import { type KubeApi, kubeApiFromKubeConfig } from './kubeclient.js';
import { AlwaysAllowAuthorizer, SubjectAccessReviewAuthorizer } from './sar.js';
import { type ServingTls, httpsServerOptions, loadServingTls, readServingFiles } from './tls.js';
import { TokenReviewAuthenticator } from './tokenreview.js';
import type { Authenticator, Authorizer, AuthnResult, AuthzResult, UserInfo } from './types.js';
import { type RequestAuthenticator, UnionAuthenticator } from './union.js';

export type { AuthOptions } from './config.js';
export { authConfigSpec, authOptionsFromEnv, resolveKubeConfig } from './config.js';
export { forbiddenMessage } from './sar.js';
export type * from './types.js';

export interface StorageAuth {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Current `https.createServer` options (serving certificate + acceptable client CAs). */
  readonly tls: ServerOptions;
  /** How the serving certificate was obtained (generated → `caCert` for caBundle/kubeconfig). */
  readonly serving: ServingTls;
  /**
   * Keep `server`'s TLS context in step with CA rotation (ConfigMap) and serving-certificate
   * renewal (files), via `setSecureContext`. Call once per server.
   */
  attachServer(server: TlsServer): void;
  /** Re-read ConfigMap and files now (the timer does this every `refreshMs`). */
  refresh(): Promise<void>;
  /** Review calls and cache effectiveness, for metrics and debugging. */
  stats(): AuthStats;
  close(): void;
}

export interface AuthStats {
  tokenReviews: number;
  tokenCache?: CacheStats;
  subjectAccessReviews: number;
  authzCache?: CacheStats;
}

export interface CreateAuthDeps {
  /** Kubeconfig for the review calls and the ConfigMap; default from `resolveKubeConfig`. `null` = none. */
  kubeConfig?: KubeConfig | null;
  /** Replaces the HTTP client built from the kubeconfig (tests, custom transports). */
  kubeApi?: KubeApi;
  /** Replaces the ConfigMap read (tests, fixtures). */
  fetchConfigMap?: () => Promise<ConfigMapLike | undefined>;
  clock?: Clock;
  log?: Logger;
}

export async function createAuth(options: AuthOptions, deps: CreateAuthDeps = {}): Promise<StorageAuth> {
  const log = deps.log ?? logger('storage-api.auth');

  let kc: KubeConfig | undefined;
  if (deps.kubeConfig !== undefined) kc = deps.kubeConfig ?? undefined;
  else {
    const found = resolveKubeConfig(options.kubeconfigPath);
    if (found) log.info({ source: found.source }, 'delegated authentication/authorization kubeconfig');
    kc = found?.kc;
  }
  const api = deps.kubeApi ?? (kc ? kubeApiFromKubeConfig(kc, { timeoutMs: options.timeoutMs }) : undefined);

  const fetchConfigMap =
    deps.fetchConfigMap ?? (!options.skipLookup && kc ? configMapFetcher(kc, options.timeoutMs) : undefined);
  if (!fetchConfigMap && !options.skipLookup) {
    log.warn('no kubeconfig: kube-system/extension-apiserver-authentication is not read; front-proxy and client-CA authentication use the file overrides only');
  }
  const rh = options.requestHeader;
  const loader = new ExtensionAuthConfigLoader({
    ...(fetchConfigMap ? { fetchConfigMap } : {}),
    overrides: {
      ...(rh.caFile ? { requestHeaderCAFile: rh.caFile } : {}),
      ...(rh.allowedNames ? { allowedNames: rh.allowedNames } : {}),
      ...(rh.usernameHeaders ? { usernameHeaders: rh.usernameHeaders } : {}),
      ...(rh.groupHeaders ? { groupHeaders: rh.groupHeaders } : {}),
      ...(rh.extraHeaderPrefixes ? { extraHeaderPrefixes: rh.extraHeaderPrefixes } : {}),
      ...(rh.uidHeaders ? { uidHeaders: rh.uidHeaders } : {}),
      ...(options.clientCAFile ? { clientCAFile: options.clientCAFile } : {}),
    },
    refreshMs: options.refreshMs,
    tolerateLookupFailure: options.tolerateLookupFailure,
    log,
  });

  // Authorization is decided before anything starts so a misconfiguration fails start-up.
  let authorizer: Authorizer;
  let sar: SubjectAccessReviewAuthorizer | undefined;
  if (options.authz.mode === 'always-allow') {
    log.warn('authorization mode always-allow: every authenticated request is allowed; only safe when kube-apiserver is the sole client (aggregator-only deployment)');
    authorizer = new AlwaysAllowAuthorizer();
  } else {
    if (!api) throw new Error('delegated authorization needs a kubeconfig (in-cluster, KUBECONFIG or KSCAPE_STORAGE_AUTH_KUBECONFIG); or set KSCAPE_STORAGE_AUTHZ_MODE=always-allow');
    authorizer = sar = new SubjectAccessReviewAuthorizer({
      api,
      allowTtlMs: options.authz.allowTtlMs,
      denyTtlMs: options.authz.denyTtlMs,
      maxEntries: options.cacheMaxEntries,
      ...(deps.clock ? { clock: deps.clock } : {}),
      log,
    });
  }

  let serving = await loadServingTls({ ...options.tls, log });
  await loader.start();

  let tokens: TokenReviewAuthenticator | undefined;
  const methods: RequestAuthenticator[] = [
    new RequestHeaderAuthenticator(() => loader.current().requestHeader, deps.clock),
    new ClientCertAuthenticator(() => loader.current().clientCA?.certs, deps.clock),
  ];
  if (options.token.enabled) {
    if (api) {
      methods.push(
        (tokens = new TokenReviewAuthenticator({
          api,
          audiences: options.token.audiences,
          ttlMs: options.token.ttlMs,
          negativeTtlMs: options.token.negativeTtlMs,
          maxEntries: options.cacheMaxEntries,
          ...(deps.clock ? { clock: deps.clock } : {}),
          log,
        })),
      );
    } else {
      log.warn('no kubeconfig: bearer-token authentication (TokenReview) is disabled');
    }
  }
  const authenticator = new UnionAuthenticator(methods, log);

  const servers = new Set<TlsServer>();
  const currentTls = (): ServerOptions => httpsServerOptions(serving, clientCAPems(loader.current()));
  const pushTls = (): void => {
    const o = currentTls();
    for (const s of servers) {
      try {
        s.setSecureContext(o);
      } catch (e) {
        log.error({ err: e }, 'updating the TLS context failed; the server keeps the previous one');
      }
    }
  };
  loader.onChange(pushTls);

  const reloadServing = async (): Promise<void> => {
    const { certFile, keyFile } = options.tls;
    if (serving.generated || !certFile || !keyFile) return;
    try {
      const next = await readServingFiles(certFile, keyFile);
      if (next.cert !== serving.cert || next.key !== serving.key) {
        serving = next;
        log.info({ certFile }, 'serving certificate changed on disk: reloaded');
        pushTls();
      }
    } catch (e) {
      // Mid-rotation the two files can briefly disagree; keep serving the old pair.
      log.warn({ err: e }, 'serving certificate reload failed; keeping the current one');
    }
  };
  const servingTimer = options.refreshMs > 0 && !serving.generated ? setInterval(() => void reloadServing(), options.refreshMs) : undefined;
  servingTimer?.unref();

  return {
    authenticator,
    authorizer,
    get tls() {
      return currentTls();
    },
    get serving() {
      return serving;
    },
    attachServer(server: TlsServer) {
      servers.add(server);
      server.once('close', () => servers.delete(server));
    },
    async refresh() {
      await Promise.all([loader.refresh(), reloadServing()]);
    },
    stats() {
      return {
        tokenReviews: tokens?.reviews ?? 0,
        ...(tokens ? { tokenCache: tokens.cacheStats() } : {}),
        subjectAccessReviews: sar?.reviews ?? 0,
        ...(sar ? { authzCache: sar.cacheStats() } : {}),
      };
    },
    close() {
      loader.close();
      if (servingTimer) clearInterval(servingTimer);
      servers.clear();
    },
  };
}

/** The fixed identity of the insecure local mode. */
export const LOCAL_DEV_USER: UserInfo = {
  name: 'kscape:local-dev',
  groups: ['system:masters', 'system:authenticated'],
  extra: {},
};

/**
 * Explicit insecure local mode (plain HTTP on loopback, dev only): everyone is LOCAL_DEV_USER and
 * everything is allowed. The engine must refuse to bind it beyond loopback and log the warning.
 */
export function localInsecureAuth(): { authenticator: Authenticator; authorizer: Authorizer; close(): void } {
  return {
    authenticator: { authenticate: async (): Promise<AuthnResult> => ({ ok: true, user: LOCAL_DEV_USER }) },
    authorizer: { authorize: async (): Promise<AuthzResult> => ({ allowed: true }) },
    close() {},
  };
}
