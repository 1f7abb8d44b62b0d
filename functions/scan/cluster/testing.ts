/**
 * Test support: a storage-api sandbox (serving the sandbox cluster kinds and the result kinds)
 * seeded from a manifests directory, a kubeconfig file pointing at it, and a KubeHttp for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeKubeconfig } from '../../../cli/dev/kubeconfig.js';
import { loadKubeConfig } from '../../../lib/kube/client.js';
import { startStorageServer, type StorageServer } from '../../../storage-api/server.js';
import { kubeHttp, type KubeHttp } from '../../../lib/kube/http.js';

export interface Sandbox {
  server: StorageServer;
  kubeconfigPath: string;
  http: KubeHttp;
  close(): Promise<void>;
}

export async function startSandbox(seedDir = 'examples/cluster'): Promise<Sandbox> {
  const server = await startStorageServer({
    insecureLocal: true,
    port: 0,
    sandbox: true,
    seedDir,
    // Always a fresh in-memory database: DATABASE_URL's shared database keeps rows between runs.
    databaseUrl: '',
    logger: pino({ level: 'silent' }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'kscape-scan-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, { server: server.url, context: 'sandbox' });
  const http = kubeHttp(loadKubeConfig(kubeconfigPath));
  return {
    server,
    kubeconfigPath,
    http,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
