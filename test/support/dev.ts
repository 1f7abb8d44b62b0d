/**
 * Test support for end-to-end tests of `kscape dev` as users run it: the built CLI in a child
 * process (its own state dir and embedded database), an OSV mirror serving `<base>/<ecosystem>/all.zip`
 * as an air-gapped mirror would, and the fixture image pushed to a local docker-registry.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFixtureImage, writeOsvZip } from '../../functions/vuln/function-testing.js';
import { skopeoCopy, type Registry } from '../fixtures/images/debian.js';
import { buildOnce, CLI, ROOT } from './build.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DevJson {
  api: { url: string; kubeconfig: string };
  broker: { ingress: string };
  functions: Record<string, string>;
  logFile: string;
}

export interface DevProcess {
  state: string;
  info: DevJson;
  child: ChildProcess;
  stderr(): string;
  /** dev.log so far. */
  log(): string;
  kubectl(...args: string[]): Promise<string>;
  /** POST a CloudEvent (binary mode) to the broker ingress; resolves to the HTTP status. */
  post(type: string, data: unknown, id: string, source?: string): Promise<number>;
  /** Resolve once dev.log contains `text`. */
  waitForLog(text: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start `kscape dev` with `args` on an environment without DATABASE_URL (dev mode uses its embedded
 * database whatever the environment says) and LOG_LEVEL=info, so tests can wait on dev.log lines.
 */
export async function startDevProcess(args: string[], env: Record<string, string> = {}): Promise<DevProcess> {
  buildOnce();
  const state = mkdtempSync(join(tmpdir(), 'kscape-dev-'));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...env };
  delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'dev', '--state-dir', state, ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const end = Date.now() + 120_000;
  while (!existsSync(join(state, 'dev.json'))) {
    if (child.exitCode !== null) throw new Error(`kscape dev exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > end) throw new Error(`kscape dev did not start: ${stderr}`);
    await sleep(200);
  }
  const info = JSON.parse(readFileSync(join(state, 'dev.json'), 'utf8')) as DevJson;
  const log = (): string => (existsSync(info.logFile) ? readFileSync(info.logFile, 'utf8') : '');
  return {
    state,
    info,
    child,
    stderr: () => stderr,
    log,
    kubectl: async (...a) =>
      (
        await run(
          'kubectl',
          ['--kubeconfig', info.api.kubeconfig, '--cache-dir', join(state, 'kube-cache'), ...a],
          { maxBuffer: 64 * 2 ** 20 },
        )
      ).stdout,
    post: async (type, data, id, source = '/test') =>
      (
        await fetch(info.broker.ingress, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': id,
            'ce-source': source,
            'ce-type': type,
            'content-type': 'application/json',
          },
          body: JSON.stringify(data),
        })
      ).status,
    async waitForLog(text, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      while (!log().includes(text)) {
        if (Date.now() > until)
          throw new Error(
            `dev.log never said ${JSON.stringify(text)}; tail:\n${log().slice(-3000)}\n${stderr}`,
          );
        await sleep(200);
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** An OSV mirror on loopback serving `/<ecosystem>/all.zip` of the given records. */
export async function startOsvMirror(
  byEcosystem: Record<string, Record<string, unknown>[]>,
): Promise<{ url: string; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kscape-osv-mirror-'));
  const zips = new Map<string, Buffer>();
  for (const [eco, records] of Object.entries(byEcosystem)) {
    const path = join(dir, `${eco}.zip`);
    writeOsvZip(path, records);
    zips.set(`/${eco}/all.zip`, readFileSync(path));
  }
  rmSync(dir, { recursive: true, force: true });
  const srv = createServer((req, res) => {
    const zip = zips.get(req.url ?? '');
    if (zip) res.writeHead(200, { 'content-type': 'application/zip' }).end(zip);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, close: () => srv.close() };
}

/**
 * Push the vuln function's fixture image (Debian-like, known findings against FIXTURE_OSV) to
 * `registry` as `<repo>:<tag>`; returns the reference and the digest the registry serves (skopeo may
 * recompress layers on the way, so the layout's digest is not it).
 */
export async function pushFixtureImage(
  registry: Registry,
  repo: string,
  tag: string,
): Promise<{ image: string; digest: string }> {
  const fixture = await writeFixtureImage();
  const image = `${registry.host}/${repo}:${tag}`;
  try {
    await skopeoCopy(`oci:${fixture.dir}:latest`, `docker://${image}`);
  } finally {
    fixture.close();
  }
  const head = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  const digest = head.headers.get('docker-content-digest') ?? '';
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`registry did not report a digest for ${image}`);
  return { image, digest };
}
