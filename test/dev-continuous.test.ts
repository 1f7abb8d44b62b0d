/**
 * Continuous scanning in `kscape dev` as a user sees it (issue 7): kubectl applies a Deployment to
 * the sandbox cluster, the emulated ApiServerSource posts the change into the local broker, the
 * schedule function debounces it, the minute tick (posted here instead of waiting for the clock)
 * flushes a scoped configscan, the scan function writes the results, and kubectl shows them;
 * deleting the Deployment deletes them. The pod the Deployment's controllers would create (the
 * sandbox runs no controllers) runs an image pushed to a local docker-registry: its new digest
 * triggers a vulnerability scan whose results kubectl shows too. The vulnerability DB comes from a
 * local OSV mirror (KSCAPE_VULNDB_BASE_URL), loaded through the vulndb ping as in a cluster.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { FIXTURE_OSV, writeFixtureImage, writeOsvZip } from '../functions/vuln/function-testing.js';
import { missingTools, skopeoCopy, startRegistry, type Registry } from './fixtures/images/debian.js';
import { buildOnce, CLI, ROOT } from './support/build.js';

const run = promisify(execFile);

interface DevJson {
  api: { url: string; kubeconfig: string };
  broker: { ingress: string };
  logFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const missing = missingTools(['docker-registry', 'skopeo']);
if (missing) throw new Error(`test/dev-continuous needs ${missing} (installed by .ci/run)`);

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: continuous-demo
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: { app: continuous-demo }
  template:
    metadata:
      labels: { app: continuous-demo }
    spec:
      containers:
        - name: app
          image: ${image}
          securityContext:
            privileged: true
`;

/** The pod a ReplicaSet of the Deployment would start, with the status the kubelet would report. */
const pod = (image: string, digest: string) => `apiVersion: v1
kind: Pod
metadata:
  name: continuous-demo-6b7c9d-x2k9p
  namespace: default
  labels: { app: continuous-demo, pod-template-hash: 6b7c9d }
  ownerReferences:
    - { apiVersion: apps/v1, kind: ReplicaSet, name: continuous-demo-6b7c9d, uid: 5d1c3a52-0b8e-4a07-9a8b-6c1f0e2d3b4a, controller: true }
spec:
  containers:
    - name: app
      image: ${image}
status:
  phase: Running
  startTime: "2026-11-27T00:00:00Z"
  containerStatuses:
    - name: app
      image: ${image}
      imageID: ${image.replace(/:[^:/]+$/, '')}@${digest}
      ready: true
      restartCount: 0
`;

describe('kscape dev: continuous scanning from cluster changes', () => {
  let state: string;
  let child: ChildProcess;
  let stderr = '';
  let dev: DevJson;
  let ticks = 0;
  let registry: Registry;
  let image: string;
  let digest: string;
  let mirror: Server;

  const kubectl = async (...args: string[]) =>
    (await run('kubectl', ['--kubeconfig', dev.api.kubeconfig, ...args])).stdout;

  /** A PingSource event (the minute `tick`, the `vulndb` refresh), posted now instead of waiting for its schedule. */
  const ping = async (job: string) => {
    const r = await fetch(dev.broker.ingress, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': `test-${job}-${++ticks}`,
        'ce-source': `/apis/v1/namespaces/kubescape/pingsources/kscape-${job}`,
        'ce-type': 'dev.knative.sources.ping',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ job }),
    });
    expect(r.status).toBe(202);
  };
  const tick = () => ping('tick');

  /** Poll `check`, ticking between attempts, until it holds. */
  async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; log tail:\n${readFileSync(dev.logFile, 'utf8').slice(-4000)}\n${stderr}`,
        );
      await tick();
      await sleep(500);
    }
  }

  const resultNames = async (
    kinds = 'workloadconfigurationscans,workloadconfigurationscansummaries',
  ): Promise<string[]> =>
    (await kubectl('get', kinds, '-n', 'default', '-o', 'name'))
      .split('\n')
      .filter(
        (l) => l.endsWith('/deployment-continuous-demo') || l.endsWith('/deployment-continuous-demo-app'),
      );

  beforeAll(async () => {
    buildOnce();
    state = mkdtempSync(join(tmpdir(), 'kscape-dev-cont-'));
    registry = await startRegistry();
    const fixture = await writeFixtureImage();
    image = `${registry.host}/kscape/continuous-demo:1`;
    await skopeoCopy(`oci:${fixture.dir}:latest`, `docker://${image}`);
    fixture.close();
    // The digest the registry serves (skopeo may have compressed the layers on the way).
    const head = await fetch(`http://${registry.host}/v2/kscape/continuous-demo/manifests/1`, {
      method: 'HEAD',
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    digest = head.headers.get('docker-content-digest') ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // An air-gapped OSV mirror: <base>/Debian/all.zip with the fixture advisories.
    const zip = join(state, 'all.zip');
    writeOsvZip(zip, FIXTURE_OSV);
    mirror = createServer((req, res) => {
      if (req.url === '/Debian/all.zip')
        res.writeHead(200, { 'content-type': 'application/zip' }).end(readFileSync(zip));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    const port = (mirror.address() as { port: number }).port;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KSCAPE_VULNDB_BASE_URL: `http://127.0.0.1:${port}`,
      KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
      LOG_LEVEL: 'info',
      KSCAPE_DEBOUNCE_WINDOW: '0s',
      KSCAPE_VULN_INSECURE_REGISTRIES: registry.host,
    };
    delete env.DATABASE_URL;
    child = spawn(
      process.execPath,
      [CLI, 'dev', '--state-dir', state, '--no-schedules', '--no-startup-scans'],
      { cwd: ROOT, env, stdio: 'pipe' },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const end = Date.now() + 90_000;
    while (!existsSync(join(state, 'dev.json'))) {
      if (child.exitCode !== null) throw new Error(`kscape dev exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > end) throw new Error(`kscape dev did not start: ${stderr}`);
      await sleep(200);
    }
    dev = JSON.parse(readFileSync(join(state, 'dev.json'), 'utf8')) as DevJson;
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (state) rmSync(state, { recursive: true, force: true });
    await registry?.stop();
    mirror?.close();
  });

  it('applying a Deployment scans it (scoped) and its image, kubectl shows the results; deleting it removes them', async () => {
    expect(await resultNames()).toEqual([]);
    await ping('vulndb');
    const end = Date.now() + 60_000;
    while (!readFileSync(dev.logFile, 'utf8').includes('"msg":"vulnerability DB updated"')) {
      if (Date.now() > end)
        throw new Error(
          `the vulnerability DB was not loaded: ${readFileSync(dev.logFile, 'utf8').slice(-3000)}`,
        );
      await sleep(200);
    }
    const file = join(state, 'deployment.yaml');
    writeFileSync(file, deployment(image));
    await kubectl('apply', '-f', file);
    const podFile = join(state, 'pod.yaml');
    writeFileSync(podFile, pod(image, digest));
    await kubectl('apply', '-f', podFile);

    await eventually('the Deployment results', async () => (await resultNames()).length === 2);
    expect((await resultNames()).sort()).toEqual([
      'workloadconfigurationscan.spdx.softwarecomposition.kubescape.io/deployment-continuous-demo',
      'workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/deployment-continuous-demo',
    ]);
    // Its privileged container fails C-0057.
    const scan = JSON.parse(
      await kubectl(
        'get',
        'workloadconfigurationscan',
        '-n',
        'default',
        'deployment-continuous-demo',
        '-o',
        'json',
      ),
    ) as {
      spec: { controls: Record<string, { status: { status: string } }> };
    };
    expect(scan.spec.controls['C-0057']?.status.status).toBe('failed');
    const log = readFileSync(dev.logFile, 'utf8');
    expect(log).toContain('dev.knative.apiserver.resource.add');
    // Only scoped requests (the changed objects; the emulated ApiServerSource, like the real one,
    // also reports every existing object once at start), never a cluster scan.
    expect(log).toContain('"scoped":true');
    expect(log).not.toContain('"scoped":false');

    // The pod's new digest: one vulnerability scan, whose per-container summary and image manifest kubectl shows.
    await eventually(
      'the vulnerability results',
      async () => (await resultNames('vulnerabilitymanifestsummaries')).length === 1,
    );
    expect(await resultNames('vulnerabilitymanifestsummaries')).toEqual([
      'vulnerabilitymanifestsummary.spdx.softwarecomposition.kubescape.io/deployment-continuous-demo-app',
    ]);
    // The fixture advisories give exactly one critical (openssl) and one high (glibc) finding.
    const vms = JSON.parse(
      await kubectl(
        'get',
        'vulnerabilitymanifestsummary',
        '-n',
        'default',
        'deployment-continuous-demo-app',
        '-o',
        'json',
      ),
    ) as { spec: { severities: Record<string, { all: number }> } };
    expect(vms.spec.severities.critical?.all).toBe(1);
    expect(vms.spec.severities.high?.all).toBe(1);
    const manifests = JSON.parse(await kubectl('get', 'vulnerabilitymanifests', '-A', '-o', 'json')) as {
      items: { metadata: { annotations?: Record<string, string> } }[];
    };
    expect(
      manifests.items.some((m) => m.metadata.annotations?.['kubescape.io/image-id']?.endsWith(digest)),
    ).toBe(true);

    await kubectl('delete', 'pod', '-n', 'default', 'continuous-demo-6b7c9d-x2k9p');
    await kubectl('delete', 'deployment', '-n', 'default', 'continuous-demo');
    await eventually('the results to be deleted', async () => (await resultNames()).length === 0);
    await eventually(
      'the vulnerability summary to be deleted',
      async () => (await resultNames('vulnerabilitymanifestsummaries')).length === 0,
    );
  });
});
