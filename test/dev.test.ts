/**
 * `npm start` as a user runs it: the compiled CLI's `dev` command in a child process, then kubectl
 * and curl-style requests against what it printed, then Ctrl-C.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, CLI, ROOT } from './support/build.js';

const run = promisify(execFile);

interface DevJson {
  api: { url: string; kubeconfig: string };
  broker: { ingress: string };
  functions: Record<string, string>;
  logFile: string;
}

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('kscape dev (npm start)', () => {
  let state: string;
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let dev: DevJson;

  beforeAll(async () => {
    buildOnce();
    state = mkdtempSync(join(tmpdir(), 'kscape-dev-'));
    // DATABASE_URL is removed: dev mode runs on its embedded PGlite whatever the environment says.
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [CLI, 'dev', '--state-dir', state, '--no-schedules'], {
      cwd: ROOT,
      env,
      stdio: 'pipe',
    });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    dev = await waitFor('dev.json', () => {
      if (child.exitCode !== null) throw new Error(`kscape dev exited with ${child.exitCode}: ${stderr}`);
      const p = join(state, 'dev.json');
      return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as DevJson) : undefined;
    });
  }, 180_000);

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('prints where everything listens and writes dev.json', async () => {
    await waitFor('the guide', () => (stdout.includes('Press Ctrl-C to stop') ? true : undefined), 10_000);
    expect(stdout).toContain(dev.api.url);
    expect(stdout).toContain(dev.broker.ingress);
    expect(Object.keys(dev.functions).sort()).toEqual([
      'control',
      'deadletter',
      'export',
      'scan',
      'schedule',
      'vuln',
    ]);
    for (const url of Object.values(dev.functions)) {
      const r = await fetch(`${url}/health/readiness`);
      expect(r.status).toBe(200);
    }
  });

  it('serves the result kinds and the sandbox cluster to kubectl', async () => {
    const kc = ['--kubeconfig', dev.api.kubeconfig];
    const res = await run('kubectl', [
      ...kc,
      'api-resources',
      '--api-group=spdx.softwarecomposition.kubescape.io',
      '-o',
      'name',
    ]);
    expect(res.stdout.trim().split('\n')).toHaveLength(9);
    const deps = await run('kubectl', [...kc, 'get', 'deployments', '-A', '-o', 'name']);
    expect(deps.stdout).toContain('deployment.apps/');
  });

  /** A binary-mode CloudEvent to the dev broker's ingress. */
  const postEvent = (id: string, type: string, data: unknown): Promise<Response> =>
    fetch(dev.broker.ingress, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': '/test',
        'ce-type': type,
        'content-type': 'application/json',
      },
      body: JSON.stringify(data),
    });

  it('accepts a CloudEvent on the broker ingress and routes it through the Triggers', async () => {
    const r = await postEvent('dev-test-1', 'dev.knative.sources.ping', { job: 'vulndb' });
    expect(r.status).toBe(202);
    // The schedule function answers the ping with a vulndb update request, which the broker routes
    // to vuln; the log shows both deliveries.
    await waitFor(
      'the routed reply in the log',
      () =>
        readFileSync(dev.logFile, 'utf8').includes('io.kubescape.vulndb.update.requested') ? true : undefined,
      20_000,
    );
  });

  it('a configscan request on the broker ingress is scanned; kubectl shows the results and the per-namespace summaries', async () => {
    const r = await postEvent('dev-test-scan-1', 'io.kubescape.configscan.requested', {
      scanId: 'dev-test-scan-1',
      frameworks: ['NSA'],
    });
    expect(r.status).toBe(202);
    // This request's own scan completed (dev mode may also have scanned at start-up).
    await waitFor(
      'the scan of this request in the log',
      () => {
        const log = readFileSync(dev.logFile, 'utf8');
        return log
          .split('\n')
          .some((l) => l.includes('dev-test-scan-1') && l.includes('io.kubescape.configscan.completed'))
          ? true
          : undefined;
      },
      60_000,
    );
    const kc = ['--kubeconfig', dev.api.kubeconfig];
    // The README's commands, as a user runs them once the scan is through.
    const scans = await waitFor(
      'workloadconfigurationscans of examples/cluster',
      async () => {
        const out = (await run('kubectl', [...kc, 'get', 'workloadconfigurationscans', '-A'])).stdout;
        return /prod\s+statefulset-postgres\s/.test(out) ? out : undefined;
      },
      60_000,
    );
    expect(scans).toMatch(/^NAMESPACE\s+NAME/);
    expect(scans).toMatch(/default\s+deployment-legacy-web\s/);
    const summaries = (await run('kubectl', [...kc, 'get', 'configurationscansummaries'])).stdout;
    expect(summaries).toMatch(/^NAME\s+CRITICAL\s+HIGH\s+MEDIUM\s+LOW/);
    expect(summaries).toMatch(/^prod\s+\d+\s+\d+\s+\d+\s+\d+/m);
  });

  it('stops on Ctrl-C with exit code 0 within 5 s', async () => {
    const t0 = Date.now();
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    child.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000)),
    ]);
    expect(code, `stderr: ${stderr}`).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(existsSync(join(state, 'dev.json'))).toBe(false);
  });
});
