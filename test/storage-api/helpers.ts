/**
 * Test harness for storage-api: a real server (insecure local HTTP) on a test database, a generated
 * kubeconfig, and a `kubectl` runner using the real binary with its own discovery cache.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { setRootLogger } from '../../lib/log/index.js';
import type { Database } from '../../lib/db/index.js';
import { startStorageServer, type StorageServer, type StorageServerOptions } from '../../storage-api/server.js';

setRootLogger(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));

export const GROUP = 'spdx.softwarecomposition.kubescape.io';
export const GV = `${GROUP}/v1beta1`;

export interface TestServer {
  api: StorageServer;
  url: string;
  dir: string;
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startTestServer(db: Database, opts: Partial<StorageServerOptions> = {}): Promise<TestServer> {
  const api = await startStorageServer({
    insecureLocal: true,
    port: 0,
    database: db,
    shutdownTimeoutMs: 500,
    ...opts,
    engine: { bookmarkIntervalMs: 200, ...opts.engine },
  });
  const dir = await mkdtemp(join(tmpdir(), 'kscape-api-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: t`,
      `  cluster: {server: "${api.url}"}`,
      'users:',
      '- name: t',
      '  user: {}',
      'contexts:',
      '- name: t',
      '  context: {cluster: t, user: t, namespace: default}',
      'current-context: t',
      '',
    ].join('\n'),
  );
  return {
    api,
    url: api.url,
    dir,
    kubeconfig,
    close: async () => {
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(ts: Pick<TestServer, 'kubeconfig' | 'dir'>, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', ts.kubeconfig, '--cache-dir', join(ts.dir, 'cache'), ...args],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Spawn a long-running kubectl (e.g. `get -w`), collecting stdout lines. */
export function kubectlSpawn(ts: Pick<TestServer, 'kubeconfig' | 'dir'>, args: string[]): { child: ChildProcess; lines: string[]; waitFor(n: number, ms?: number): Promise<string[]> } {
  const child = spawn('kubectl', ['--kubeconfig', ts.kubeconfig, '--cache-dir', join(ts.dir, 'cache'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  return {
    child,
    lines,
    waitFor: (n, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = (): void => {
          if (lines.length >= n) resolve(lines.slice());
          else if (Date.now() - start > ms || child.exitCode !== null)
            reject(new Error(`kubectl ${args.join(' ')}: wanted ${n} lines, got ${JSON.stringify(lines)}; stderr: ${stderr}`));
          else setTimeout(tick, 50);
        };
        tick();
      }),
  };
}

export async function req(
  ts: { url: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!headers['content-type']) (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const r = await fetch(ts.url + path, init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

export function wcss(name: string, namespace = 'default', labels: Record<string, string> = {}, high = 1): Record<string, unknown> {
  return {
    apiVersion: GV,
    kind: 'WorkloadConfigurationScanSummary',
    metadata: { name, namespace, labels: { 'kubescape.io/workload-kind': 'Deployment', 'kubescape.io/workload-name': name, ...labels } },
    spec: {
      severities: { critical: 0, high, medium: 0, low: 1, unknown: 0 },
      controls: {
        'C-0017': { controlID: 'C-0017', severity: { severity: 'Low', scoreFactor: 3 }, status: { status: 'failed' } },
      },
    },
  };
}

export const nsPath = (ns: string, plural: string, name?: string): string =>
  `/apis/${GV}/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;

export async function until<T>(fn: () => T | undefined | Promise<T | undefined>, ms = 10_000, what = 'condition'): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
