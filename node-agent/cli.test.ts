/**
 * `kscape node-agent --once --print` as a user runs it on a node: the compiled CLI in a child
 * process, from its esbuild bundle and from the compiled modules.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, CLI, ROOT } from '../test/support/build.js';
import { buildFixtureHost, type FixtureHost } from './__fixtures__/hosts.js';
import { parseOsRelease } from './host/collect.js';
import { HostFactsSchema } from './host/facts.js';
import type { NodeAgentSnapshot } from './agent.js';

let tmp: string;
let host: FixtureHost;

beforeAll(async () => {
  buildOnce();
  execFileSync(process.execPath, [path.join(ROOT, 'dist', 'node-agent', 'bundle.js')], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-node-agent-cli-'));
  host = await buildFixtureHost('control-plane', tmp);
}, 300_000);
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

function run(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'node-agent', '--once', '--print'],
      {
        cwd: ROOT,
        // No cluster: no KUBERNETES_SERVICE_HOST, and a HOME without a kubeconfig.
        env: { PATH: process.env.PATH ?? '', HOME: tmp, LOG_LEVEL: 'debug', ...env },
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

describe.each([
  ['bundled', {}],
  ['unbundled', { KSCAPE_NODE_AGENT_BUNDLE: 'off' }],
])('kscape node-agent --once --print (%s)', (_mode, extra) => {
  it('on this machine: its real kernel version and os-release, logs on stderr only', async () => {
    const { stdout, stderr } = await run({ NODE_NAME: 'this-machine', HOST_ROOT: '/', ...extra });
    const snap = JSON.parse(stdout) as NodeAgentSnapshot;
    expect(snap.nodeName).toBe('this-machine');
    expect(snap.host?.kernel.release).toBe(os.release());
    expect(snap.host?.kernel.version).toBe((await fs.readFile('/proc/version', 'utf8')).trim());
    const real = parseOsRelease(await fs.readFile('/etc/os-release', 'utf8'));
    expect(snap.host?.osRelease.values).toEqual(real);
    expect(HostFactsSchema.safeParse(snap.host).success).toBe(true);
    expect(snap.relevancy?.stats.processes).toBeGreaterThan(1);
    // Every stderr line is a JSON log line (LOG_LEVEL=debug), none leaked into stdout.
    for (const line of stderr.trim().split('\n').filter(Boolean))
      expect(() => JSON.parse(line)).not.toThrow();
  });

  it('on a fixture control-plane node: its API server flags and PKI', async () => {
    const { stdout } = await run({ NODE_NAME: 'cp-1', HOST_ROOT: host.root, HOST_PROC: host.proc, ...extra });
    const snap = JSON.parse(stdout) as NodeAgentSnapshot;
    expect(snap.host?.controlPlane).toMatchObject({ apiServer: expect.anything() as unknown });
    expect(snap.host?.kubelet).not.toBeNull();
    expect(HostFactsSchema.safeParse(snap.host).success).toBe(true);
  });
});
