/**
 * `kscape dev` (the built CLI) serves the vuln function on its shared database, through the local
 * broker: a vulndb.update request loads the DB from a local OSV mirror, a vulnscan request for an
 * image in a local docker-registry produces results that kubectl shows. This is the recipe of
 * functions/vuln/README.md ("To see real results in dev").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_OSV } from '../functions/vuln/function-testing.js';
import { missingTools, startRegistry, type Registry } from './fixtures/images/debian.js';
import { pushFixtureImage, startDevProcess, startOsvMirror } from './support/dev.js';

const missing = missingTools(['docker-registry', 'skopeo', 'kubectl']);
if (missing) throw new Error(`test/vuln.dev needs ${missing} (installed by .ci/run)`);

const until = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
};

describe('kscape dev: vuln results through the broker', () => {
  let reg: Registry;
  let mirror: { url: string; close(): void };
  let image: string;

  beforeAll(async () => {
    reg = await startRegistry();
    ({ image } = await pushFixtureImage(reg, 'me/app', '1.0'));
    mirror = await startOsvMirror({ Debian: FIXTURE_OSV });
  }, 600_000);
  afterAll(async () => {
    mirror?.close();
    await reg?.stop();
  });

  it('vulndb.update then vulnscan requests on the broker ingress → kubectl get vulnerabilitymanifests shows the results', async () => {
    const dev = await startDevProcess(['--no-startup-scans', '--no-schedules', '--no-cluster-events'], {
      KSCAPE_VULNDB_BASE_URL: mirror.url,
      KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
      KSCAPE_VULN_INSECURE_REGISTRIES: reg.host,
    });
    try {
      expect(await dev.post('io.kubescape.vulndb.update.requested', {}, 'db-1')).toBe(202);
      await dev.waitForLog('vulnerability DB updated');
      const workloads = [
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', container: 'app' },
      ];
      expect(await dev.post('io.kubescape.vulnscan.requested', { image, workloads }, 'scan-1')).toBe(202);
      const vms = await until('the summary', async () => {
        const out = await dev.kubectl('get', 'vulnerabilitymanifestsummaries', '-A');
        return /deployment-web-app/.test(out) ? out : undefined;
      });
      expect(vms).toMatch(/^default\s+deployment-web-app\s+1\s+1\s+0\s+0\s/m);
      const vm = await dev.kubectl('get', 'vulnerabilitymanifests', '-n', 'kubescape');
      expect(vm).toMatch(new RegExp(`\\s${image.replace(/\./g, '\\.')}\\s+2\\s+1\\s+1\\s`));
    } finally {
      await dev.stop();
    }
  }, 600_000);
});
