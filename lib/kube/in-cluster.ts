/**
 * In-cluster API access from the pod's service account, with the semantics of client-go and
 * client-node: server from KUBERNETES_SERVICE_HOST/PORT (IPv6 in brackets, plain HTTP on ports
 * 80, 8080 and 8001), the service account CA, and the bearer token re-read at most every 60 s
 * because bound service account tokens are rotated by the kubelet in place.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { KubeAccess } from './access.js';

export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_TTL_MS = 60_000;

export function inClusterAvailable(dir: string, env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(dir, 'token')),
  );
}

export function inClusterAccess(
  dir: string = SERVICEACCOUNT_DIR,
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): KubeAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set in a pod');
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const cluster = { server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}` };
  const caFile = join(dir, 'ca.crt');
  const tokenFile = join(dir, 'token');
  let ca: Buffer | undefined;
  let token: { value: string; readAt: number } | undefined;
  return {
    getCurrentCluster: () => cluster,
    async applyToHTTPSOptions(opts: RequestOptions) {
      if (scheme === 'https') {
        ca ??= readFileSync(caFile);
        opts.ca = ca;
      }
      const t = now();
      if (!token || t - token.readAt > TOKEN_TTL_MS)
        token = { value: readFileSync(tokenFile, 'utf8').trim(), readAt: t };
      if (token.value) opts.headers = { ...opts.headers, authorization: `Bearer ${token.value}` };
    },
  };
}
