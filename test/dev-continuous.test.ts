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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_OSV } from '../functions/vuln/function-testing.js';
import { missingTools, startRegistry, type Registry } from './fixtures/images/debian.js';
import { pushFixtureImage, startDevProcess, startOsvMirror, type DevProcess } from './support/dev.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const missing = missingTools(['docker-registry', 'skopeo', 'kubectl']);
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
  let dev: DevProcess;
  let registry: Registry;
  let mirror: { url: string; close(): void };
  let image: string;
  let digest: string;
  let ticks = 0;

  /** A PingSource event (the minute `tick`, the `vulndb` refresh), posted now instead of waiting for its schedule. */
  const ping = async (job: string) =>
    expect(
      await dev.post(
        'dev.knative.sources.ping',
        { job },
        `test-${job}-${++ticks}`,
        `/apis/v1/namespaces/kubescape/pingsources/kscape-${job}`,
      ),
    ).toBe(202);

  /** Poll `check`, ticking between attempts, until it holds. */
  async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; log tail:\n${dev.log().slice(-4000)}\n${dev.stderr()}`,
        );
      await ping('tick');
      await sleep(500);
    }
  }

  const resultNames = async (
    kinds = 'workloadconfigurationscans,workloadconfigurationscansummaries',
  ): Promise<string[]> =>
    (await dev.kubectl('get', kinds, '-n', 'default', '-o', 'name'))
      .split('\n')
      .filter(
        (l) => l.endsWith('/deployment-continuous-demo') || l.endsWith('/deployment-continuous-demo-app'),
      );

  beforeAll(async () => {
    registry = await startRegistry();
    ({ image, digest } = await pushFixtureImage(registry, 'kscape/continuous-demo', '1'));
    // An air-gapped OSV mirror: <base>/Debian/all.zip with the fixture advisories.
    mirror = await startOsvMirror({ Debian: FIXTURE_OSV });
    dev = await startDevProcess(['--no-schedules', '--no-startup-scans'], {
      KSCAPE_VULNDB_BASE_URL: mirror.url,
      KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
      KSCAPE_DEBOUNCE_WINDOW: '0s',
      KSCAPE_VULN_INSECURE_REGISTRIES: registry.host,
    });
  }, 180_000);

  afterAll(async () => {
    await dev?.stop();
    await registry?.stop();
    mirror?.close();
  });

  it('applying a Deployment scans it (scoped) and its image, kubectl shows the results; deleting it removes them', async () => {
    expect(await resultNames()).toEqual([]);
    await ping('vulndb');
    await dev.waitForLog('"msg":"vulnerability DB updated"');
    const file = join(dev.state, 'deployment.yaml');
    writeFileSync(file, deployment(image));
    await dev.kubectl('apply', '-f', file);
    const podFile = join(dev.state, 'pod.yaml');
    writeFileSync(podFile, pod(image, digest));
    await dev.kubectl('apply', '-f', podFile);

    await eventually('the Deployment results', async () => (await resultNames()).length === 2);
    expect((await resultNames()).sort()).toEqual([
      'workloadconfigurationscan.spdx.softwarecomposition.kubescape.io/deployment-continuous-demo',
      'workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/deployment-continuous-demo',
    ]);
    // Its privileged container fails C-0057.
    const scan = JSON.parse(
      await dev.kubectl(
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
    const log = dev.log();
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
      await dev.kubectl(
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
    const manifests = JSON.parse(await dev.kubectl('get', 'vulnerabilitymanifests', '-A', '-o', 'json')) as {
      items: { metadata: { annotations?: Record<string, string> } }[];
    };
    expect(
      manifests.items.some((m) => m.metadata.annotations?.['kubescape.io/image-id']?.endsWith(digest)),
    ).toBe(true);

    await dev.kubectl('delete', 'pod', '-n', 'default', 'continuous-demo-6b7c9d-x2k9p');
    await dev.kubectl('delete', 'deployment', '-n', 'default', 'continuous-demo');
    await eventually('the results to be deleted', async () => (await resultNames()).length === 0);
    await eventually(
      'the vulnerability summary to be deleted',
      async () => (await resultNames('vulnerabilitymanifestsummaries')).length === 0,
    );
  });
});
