/**
 * What a Kubernetes API call needs from a configuration: the server to call and the credentials
 * to put on the request. client-node's KubeConfig has this shape, and so has the in-cluster access
 * of in-cluster.ts, which is what a function uses in a pod.
 *
 * Why not always KubeConfig: importing client-node's KubeConfig compiles and runs ~1 MB of code
 * (the generated API it configures, node-fetch and its URL tables, proxy agents, OIDC, YAML) before
 * a scaled-from-zero function can answer; in a pod the configuration is a token file, a CA file and
 * two environment variables. client-node is loaded only when the configuration comes from a
 * kubeconfig file (KUBECONFIG, ~/.kube/config), where its exec plugins and auth providers matter.
 */
import { existsSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { join } from 'node:path';
import { inClusterAccess, inClusterAvailable, SERVICEACCOUNT_DIR } from './in-cluster.js';

export interface KubeCluster {
  server: string;
  proxyUrl?: string | undefined;
}

export interface KubeAccess {
  getCurrentCluster(): KubeCluster | null;
  /** Sets TLS material and credential headers (tokens may be refreshed, hence async). */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

export interface AccessSources {
  env?: NodeJS.ProcessEnv;
  /** Where the pod's service account is mounted (tests point it at a fixture). */
  serviceAccountDir?: string;
}

/** Which configuration loadKubeAccess() picks, in client-node's loadFromDefault() order. */
export function accessSource(src: AccessSources = {}): 'kubeconfig' | 'in-cluster' | 'default' {
  const env = src.env ?? process.env;
  if (env.KUBECONFIG) return 'kubeconfig';
  if (env.HOME && existsSync(join(env.HOME, '.kube', 'config'))) return 'kubeconfig';
  if (inClusterAvailable(src.serviceAccountDir ?? SERVICEACCOUNT_DIR, env)) return 'in-cluster';
  return 'default';
}

/**
 * The default configuration, as client-node's loadFromDefault() would choose it: KUBECONFIG, then
 * ~/.kube/config, then the pod's service account; the in-cluster case without client-node.
 */
export async function loadKubeAccess(src: AccessSources = {}): Promise<KubeAccess> {
  const env = src.env ?? process.env;
  if (accessSource(src) === 'in-cluster')
    return inClusterAccess(src.serviceAccountDir ?? SERVICEACCOUNT_DIR, env);
  const { loadKubeConfig } = await import('./client.js');
  return loadKubeConfig();
}
