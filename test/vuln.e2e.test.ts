/**
 * End to end (issue 6 acceptance, issue 9 relevancy): the vuln function on real parts.
 *
 *  - The Debian bookworm minbase image (debootstrap → umoci → skopeo → docker-registry) scanned
 *    with a fixture OSV DB built from the image's own dpkg truth gives exactly the expected
 *    matches; the stored SBOMSPDXv2p3, VulnerabilityManifest, VulnerabilityManifestSummary and the
 *    virtual VulnerabilitySummary read back with the real kubectl.
 *  - Relevancy with a fixture SBOM stored through kubectl: only packages owning files in use are
 *    kept, and the summary shows relevant < all.
 *
 * The OSV DB runs on each driver (PGlite; PostgreSQL when DATABASE_URL is set); the storage API on
 * its own fresh PGlite (startStorageServer with databaseUrl '').
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageSlug } from '../lib/api/names.js';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../lib/db/testing.js';
import { EVENT_TYPES } from '../lib/events/index.js';
import type { IncomingEvent } from '../functions/runtime/types.js';
import { startSandbox, type Sandbox } from '../functions/scan/cluster/testing.js';
import { MemorySbomCache } from '../functions/vuln/cache.js';
import { loadVulnFunctionConfig } from '../functions/vuln/function-config.js';
import { withOwnedFiles } from '../functions/vuln/function-sbom.js';
import { FIXTURE_OSV, records, testContext, writeFixtureImage } from '../functions/vuln/function-testing.js';
import { createVulnFunction } from '../functions/vuln/function.js';
import { generateSbom } from '../functions/vuln/generate.js';
import { VulnDbStore } from '../functions/vuln/osv/store/index.js';
import { buildSbomObject } from '../functions/vuln/sbom/object.js';
import { ensureDebianImage, missingTools, skopeoCopy, startRegistry, type DebianImage, type Registry } from './fixtures/images/debian.js';

const run = promisify(execFile);
const missing = missingTools(['debootstrap', 'umoci', 'skopeo', 'docker-registry', 'flock', 'kubectl']);
if (missing) console.warn(`[vuln e2e] debootstrap image suite skipped: ${missing}`);

interface DpkgRow {
  name: string;
  version: string;
  source: string;
  sourceVersion: string;
}

function dpkgTruth(rootfs: string): DpkgRow[] {
  return execFileSync('dpkg-query', ['-W', '-f', '${Package}\t${Version}\t${source:Package}\t${source:Version}\n', `--admindir=${rootfs}/var/lib/dpkg`])
    .toString()
    .trim()
    .split('\n')
    .map((l) => {
      const [name, version, source, sourceVersion] = l.split('\t') as [string, string, string, string];
      return { name, version, source, sourceVersion };
    });
}

const T = '2025-01-01T00:00:00Z';
const CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

/** Fixture OSV records for the image, each range built from the image's installed source versions. */
function fixtureDb(truth: DpkgRow[]): { records: Record<string, unknown>[]; expected: string[] } {
  const src = (s: string): string => {
    const row = truth.find((r) => r.source === s);
    if (!row) throw new Error(`the image has no package built from ${s}`);
    return row.sourceVersion;
  };
  const deb = (name: string, events: Record<string, string>[]) => [{ package: { ecosystem: 'Debian:12', name }, ranges: [{ type: 'ECOSYSTEM', events }] }];
  const recs: Record<string, unknown>[] = [
    // fixed in a later point release than the installed one → affected, fix state fixed
    { id: 'DEBIAN-CVE-2099-1001', modified: T, aliases: ['CVE-2099-1001'], severity: [{ type: 'CVSS_V3', score: CRIT }], affected: deb('glibc', [{ introduced: '0' }, { fixed: `${src('glibc')}+zz1` }]) },
    // last_affected = installed → affected
    { id: 'DEBIAN-CVE-2099-1002', modified: T, aliases: ['CVE-2099-1002'], affected: deb('systemd', [{ introduced: '0' }, { last_affected: src('systemd') }]) },
    // explicit versions list
    { id: 'DEBIAN-CVE-2099-1003', modified: T, aliases: ['CVE-2099-1003'], affected: [{ package: { ecosystem: 'Debian:12', name: 'tar' }, versions: [src('tar')] }] },
    // fixed before the installed version → not affected
    { id: 'DEBIAN-CVE-2099-1004', modified: T, affected: deb('zlib', [{ introduced: '0' }, { fixed: '1:1.2.11.dfsg-4' }]) },
    // withdrawn → not reported
    { id: 'DEBIAN-CVE-2099-1005', modified: T, withdrawn: T, affected: deb('apt', [{ introduced: '0' }]) },
    // another release → not reported
    { id: 'DEBIAN-CVE-2099-1006', modified: T, affected: [{ package: { ecosystem: 'Debian:11', name: 'gzip' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] },
    // introduced after the installed version → not affected
    { id: 'DEBIAN-CVE-2099-1007', modified: T, affected: deb('bash', [{ introduced: '99' }]) },
  ];
  const ids: Record<string, string> = { glibc: 'CVE-2099-1001', systemd: 'CVE-2099-1002', tar: 'CVE-2099-1003' };
  const expected = truth.filter((r) => ids[r.source]).map((r) => `${r.name} ${r.version} ${ids[r.source]}`).sort();
  return { records: recs, expected };
}

function kubectl(sb: Sandbox, dir: string) {
  return async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', sb.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

forEachDriver('vuln e2e', (driver) => {
  describe.skipIf(missing !== undefined)('debootstrap image from docker-registry', () => {
    let tdb: CreatedTestDatabase;
    let sb: Sandbox;
    let reg: Registry;
    let img: DebianImage;
    let digest: string;
    let dir: string;
    let truth: DpkgRow[];
    let expected: string[];

    beforeAll(async () => {
      [tdb, sb, reg, img] = await Promise.all([createTestDatabase(driver), startSandbox('examples/cluster'), startRegistry(), ensureDebianImage('bookworm')]);
      dir = mkdtempSync(join(tmpdir(), 'kscape-vuln-e2e-'));
      await skopeoCopy(`oci:${img.ociLayout}:latest`, `docker://${reg.host}/kscape/debian:bookworm`);
      digest = (JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/kscape/debian:bookworm`]).toString()) as { Digest: string }).Digest;
      truth = dpkgTruth(img.rootfs);
      const db = fixtureDb(truth);
      expected = db.expected;
      await (await VulnDbStore.open(tdb.db)).import(records(db.records), { mode: 'full' });
    }, 25 * 60_000);
    afterAll(async () => {
      await Promise.all([reg?.stop(), sb?.close(), tdb?.drop()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('exactly the expected matches; objects read back with kubectl; redelivery keeps the state', async () => {
      const fn = createVulnFunction({ http: sb.http, store: await VulnDbStore.open(tdb.db), config: loadVulnFunctionConfig({ KSCAPE_VULN_INSECURE_REGISTRIES: reg.host }) });
      const image = `${reg.host}/kscape/debian:bookworm`;
      const event = {
        id: 'e2e-vuln-1',
        source: '/kscape/schedule',
        type: EVENT_TYPES.vulnScanRequested,
        time: '2026-01-01T00:00:00Z',
        data: { image, digest, workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', container: 'app', containerType: 'containers' }], pullSecrets: [] },
        extensions: {},
      } as IncomingEvent;
      const reply = await fn.handle(event, testContext());
      const glibcBins = truth.filter((r) => r.source === 'glibc').length;
      expect(reply?.data).toMatchObject({ status: 'ready', digest, severities: { critical: glibcBins, unknown: expected.length - glibcBins } });

      const k = kubectl(sb, dir);
      const slug = imageSlug(image, digest);
      const vm = JSON.parse(await k('get', 'vulnerabilitymanifests', '-n', 'kubescape', slug, '-o', 'json')) as {
        spec: { payload: { matches: { artifact: { name: string; version: string }; vulnerability: { id: string; fix: { state: string } } }[] } };
      };
      expect(vm.spec.payload.matches.map((m) => `${m.artifact.name} ${m.artifact.version} ${m.vulnerability.id}`).sort()).toEqual(expected);
      expect(expected.length).toBeGreaterThanOrEqual(5); // libc-bin, libc6, libsystemd0, libudev1, tar
      const states = Object.fromEntries(vm.spec.payload.matches.map((m) => [m.vulnerability.id, m.vulnerability.fix.state]));
      expect(states).toEqual({ 'CVE-2099-1001': 'fixed', 'CVE-2099-1002': 'unknown', 'CVE-2099-1003': 'unknown' });

      const vmTable = await k('get', 'vulnerabilitymanifests', '-n', 'kubescape');
      expect(vmTable).toMatch(new RegExp(`^${slug.replace(/\./g, '\\.')}\\s+${image.replace(/\./g, '\\.')}\\s+${expected.length}\\s+${glibcBins}\\s+0\\s`, 'm'));
      const sbom = JSON.parse(await k('get', 'sbomspdxv2p3s', '-n', 'kubescape', slug, '-o', 'json')) as { metadata: { annotations: Record<string, string> }; spec: { spdx: { packages: unknown[] } } };
      expect(sbom.metadata.annotations['kubescape.io/status']).toBe('ready');
      expect(sbom.spec.spdx.packages.length).toBe(truth.length + 1); // + the image root
      const vms = await k('get', 'vulnerabilitymanifestsummaries', '-A');
      expect(vms).toMatch(/^default\s+deployment-web-app\s/m);
      const sum = JSON.parse(await k('get', 'vulnerabilitysummaries', 'default', '-o', 'json')) as { spec: { severities: { critical: { all: number } } } };
      expect(sum.spec.severities.critical.all).toBe(glibcBins);

      const dump = async () => (await k('get', 'sbomspdxv2p3s,vulnerabilitymanifests,vulnerabilitymanifestsummaries', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}')).trim();
      const before = await dump();
      const again = await fn.handle({ ...event, id: 'e2e-vuln-2' } as IncomingEvent, testContext());
      expect(again?.data).toMatchObject({ status: 'ready', severities: (reply!.data as { severities: object }).severities });
      expect(await dump()).toBe(before);
    });
  });

  describe('relevancy with a fixture SBOM stored through kubectl', () => {
    let tdb: CreatedTestDatabase;
    let sb: Sandbox;
    let dir: string;
    beforeAll(async () => {
      [tdb, sb] = await Promise.all([createTestDatabase(driver), startSandbox('examples/cluster')]);
      dir = mkdtempSync(join(tmpdir(), 'kscape-vuln-rel-'));
      await (await VulnDbStore.open(tdb.db)).import(records(FIXTURE_OSV), { mode: 'full' });
    }, 600_000);
    afterAll(async () => {
      await Promise.all([sb?.close(), tdb?.drop()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('only packages owning files in use are kept; the summary shows relevant < all', async () => {
      // The fixture SBOM: the Debian-like fixture image cataloged, stored under a registry name no
      // one can pull from, so the function must work from the stored SBOM alone.
      const fixture = await writeFixtureImage();
      const image = 'registry.invalid/shop/app:1.0';
      try {
        const r = await generateSbom(`oci:${fixture.dir}:latest`, { cache: new MemorySbomCache(), created: new Date('2026-01-01T00:00:00Z') });
        const obj = buildSbomObject(image, fixture.digest, withOwnedFiles(r.sbom!, r.packages, 'Tool: kscape-0.1.0'), 'ready', { createdAt: new Date('2026-01-01T00:00:00Z') });
        writeFileSync(join(dir, 'sbom.json'), JSON.stringify(obj));
      } finally {
        fixture.close();
      }
      const k = kubectl(sb, dir);
      await k('create', '-f', join(dir, 'sbom.json'));

      const digest = (JSON.parse(await k('get', 'sbomspdxv2p3s', '-n', 'kubescape', '-o', 'json')) as { items: { metadata: { annotations: Record<string, string> } }[] }).items[0]!.metadata.annotations['kubescape.io/image-id']!;
      const fn = createVulnFunction({ http: sb.http, store: await VulnDbStore.open(tdb.db), config: loadVulnFunctionConfig({}) });
      const ev = {
        id: 'rel-e2e',
        source: '/kscape/node-agent/node-1',
        type: EVENT_TYPES.relevancyReported,
        time: '2026-01-02T00:00:00Z',
        data: {
          nodeName: 'node-1',
          container: { namespace: 'shop', pod: 'app-7c9d-xyz', container: 'app', containerID: 'containerd://0123', workload: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'app' } },
          image,
          imageDigest: digest,
          files: ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/bash', '/app/server'],
          complete: true,
          status: 'completed',
          completion: 'complete',
          containerType: 'containers',
        },
        extensions: {},
      } as IncomingEvent;
      await fn.handle(ev, testContext());

      const filtered = JSON.parse(await k('get', 'sbomspdxv2p3filtereds', '-n', 'kubescape', '-o', 'json')) as { items: { metadata: { name: string }; spec: { spdx: { packages: { name: string; primaryPackagePurpose?: string }[] } } }[] };
      expect(filtered.items).toHaveLength(1);
      expect(filtered.items[0]!.spec.spdx.packages.filter((p) => p.primaryPackagePurpose !== 'CONTAINER').map((p) => p.name).sort()).toEqual(['bash', 'libc6']);
      const table = await k('get', 'sbomspdxv2p3filtereds', '-n', 'kubescape', '-o', 'wide');
      expect(table).toMatch(/\sapp\s+app\s/); // WORKLOAD and CONTAINER columns
      const vms = JSON.parse(await k('get', 'vulnerabilitymanifestsummaries', '-n', 'shop', 'deployment-app-app', '-o', 'json')) as { spec: { severities: Record<string, { all: number; relevant?: number }> } };
      const total = (f: 'all' | 'relevant') => Object.values(vms.spec.severities).reduce((n, c) => n + (c[f] ?? 0), 0);
      expect(total('all')).toBe(2);
      expect(total('relevant')).toBe(1);
      expect(total('relevant')).toBeLessThan(total('all'));
      const relevantVm = await k('get', 'vulnerabilitymanifests', '-n', 'kubescape', '-l', 'kubescape.io/context=filtered', '-o', 'wide');
      expect(relevantVm).toMatch(/^deployment-app-app-[0-9a-f]{4}-[0-9a-f]{4}\s+registry\.invalid\/shop\/app:1\.0\s+1\s+0\s+1\s+true\s/m);
    });
  });
});
