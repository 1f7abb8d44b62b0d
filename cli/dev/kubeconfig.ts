/**
 * The kubeconfig dev mode writes so `kubectl --kubeconfig .kscape/kubeconfig ...` reaches the
 * local storage-api. Plain HTTP on loopback: no credentials to store.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export function kubeconfigYaml(opts: { server: string; context: string; namespace?: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain-HTTP servers unless TLS verification is marked skipped; there is
    // no TLS to verify on the loopback dev server, so this changes nothing else.
    clusters: [{ name: opts.context, cluster: { server: opts.server, ...(opts.server.startsWith('http:') ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: opts.context, user: {} }],
    contexts: [{ name: opts.context, context: { cluster: opts.context, user: opts.context, namespace: opts.namespace ?? 'default' } }],
    'current-context': opts.context,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, opts: { server: string; context: string; namespace?: string }): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(opts), { mode: 0o600 });
}
