/**
 * `kscape dev` (the built CLI) serves the vuln function on its shared database, through the local
 * broker: a vulndb.update request loads the DB from a local OSV mirror, a vulnscan request for an
 * image in a local docker-registry produces results that kubectl shows. This is the recipe of
 * functions/vuln/README.md ("To see real results in dev").
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_OSV, writeFixtureImage, writeOsvZip } from '../functions/vuln/function-testing.js';
import { buildOnce, CLI, ROOT } from './support/build.js';
import { missingTools, skopeoCopy, startRegistry, type Registry } from './fixtures/images/debian.js';

const missing = missingTools(['docker-registry', 'skopeo', 'kubectl']);
if (missing) console.warn(`[vuln dev] skipped: ${missing}`);

const until = async <T>(what: string, fn: () => T | undefined, ms = 120_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
};

describe.skipIf(missing !== undefined)('kscape dev: vuln results through the broker', () => {
  let dir: string;
  let reg: Registry;
  let srv: Server;
  let child: ChildProcess;
  let fixture: Awaited<ReturnType<typeof writeFixtureImage>>;

  beforeAll(async () => {
    buildOnce();
    dir = mkdtempSync(join(tmpdir(), 'kscape-vuln-dev-'));
    [reg, fixture] = await Promise.all([startRegistry(), writeFixtureImage()]);
    await skopeoCopy(`oci:${fixture.dir}:latest`, `docker://${reg.host}/me/app:1.0`);
    mkdirSync(join(dir, 'mirror', 'Debian'), { recursive: true });
    writeOsvZip(join(dir, 'mirror', 'Debian', 'all.zip'), FIXTURE_OSV);
    srv = createServer((req, res) => {
      if (req.url === '/Debian/all.zip') res.end(readFileSync(join(dir, 'mirror', 'Debian', 'all.zip')));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  }, 600_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    srv?.close();
    fixture?.close();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('vulndb.update then vulnscan requests on the broker ingress → kubectl get vulnerabilitymanifests shows the results', async () => {
    const state = join(dir, 'state');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KSCAPE_VULNDB_BASE_URL: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
      KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
      KSCAPE_VULN_INSECURE_REGISTRIES: reg.host,
    };
    delete env.DATABASE_URL; // dev's own embedded database, shared by its components
    delete env.LOG_LEVEL; // info: the DB update is awaited through dev.log
    child = spawn(process.execPath, [CLI, 'dev', '--state-dir', state, '--no-startup-scans', '--no-schedules', '--no-cluster-events'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.resume();
    const info = await until('dev.json', () => (existsSync(join(state, 'dev.json')) ? (JSON.parse(readFileSync(join(state, 'dev.json'), 'utf8')) as { broker: { ingress: string } }) : undefined));
    const send = (type: string, id: string, data: unknown) =>
      fetch(info.broker.ingress, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test', 'ce-type': type, 'content-type': 'application/json' }, body: JSON.stringify(data) });
    expect((await send('io.kubescape.vulndb.update.requested', 'db-1', {})).status).toBe(202);
    const log = join(state, 'dev.log');
    await until('the DB update', () => (readFileSync(log, 'utf8').includes('vulnerability DB updated') ? true : undefined));
    const image = `${reg.host}/me/app:1.0`;
    expect((await send('io.kubescape.vulnscan.requested', 'scan-1', { image, workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', container: 'app' }] })).status).toBe(202);
    const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', join(state, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args]).toString();
    const vms = await until('the summary', () => {
      const out = kubectl('get', 'vulnerabilitymanifestsummaries', '-A');
      return /deployment-web-app/.test(out) ? out : undefined;
    });
    expect(vms).toMatch(/^default\s+deployment-web-app\s+1\s+1\s+0\s+0\s/m);
    const vm = kubectl('get', 'vulnerabilitymanifests', '-n', 'kubescape');
    expect(vm).toMatch(new RegExp(`\\s${image.replace(/\./g, '\\.')}\\s+2\\s+1\\s+1\\s`));
  }, 600_000);
});
