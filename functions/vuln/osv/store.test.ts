import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDriver, withTestDatabase } from '../../../lib/db/testing.js';
import { RECORDS } from './__fixtures__/records.js';
import { matchPackages, type SbomPackage } from './match.js';
import { readOsvJsonFiles, readOsvNdjson, readOsvZip } from './sources.js';
import { ConcurrentUpdateError, VulnDbStore } from './store/index.js';
import { allZipUrl, DownloadError, loadVulnDbConfig, updateVulnDb } from './update.js';

async function* fromArray(xs: readonly unknown[]): AsyncGenerator<unknown> {
  for (const x of xs) yield x;
}

const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'import zipfile']);
    return true;
  } catch {
    return false;
  }
})();

/** Writes records as an OSV-style all.zip (one <id>.json per entry) with Python's zipfile. */
function writeZip(path: string, records: readonly unknown[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'osv-zip-'));
  const list = join(dir, 'records.json');
  writeFileSync(list, JSON.stringify(records));
  execFileSync('python3', [
    '-c',
    `
import json, sys, zipfile
recs = json.load(open(sys.argv[1]))
with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:
    for r in recs:
        z.writestr(r['id'] + '.json', json.dumps(r))
`,
    list,
    path,
  ]);
}

const PKGS: SbomPackage[] = [
  {
    name: 'libssl3',
    version: '3.0.11-1~deb12u1',
    type: 'deb',
    distro: { id: 'debian', versionId: '12' },
    sourceName: 'openssl',
  },
  {
    name: 'libssl3',
    version: '3.0.11-1~deb12u2',
    type: 'deb',
    distro: { id: 'debian', versionId: '12' },
    sourceName: 'openssl',
  },
  {
    name: 'libc6',
    version: '2.36-9+deb12u4',
    type: 'deb',
    distro: { id: 'debian', versionId: '12.5' },
    sourceName: 'glibc',
  },
  { name: 'curl', version: '7.81.0-1ubuntu1.16', type: 'deb', distro: { id: 'ubuntu', versionId: '22.04' } },
  {
    name: 'libssl3',
    version: '3.3.1-r0',
    type: 'apk',
    distro: { id: 'alpine', versionId: '3.20.3' },
    sourceName: 'openssl',
  },
  { name: 'lodash', version: '4.17.20', type: 'npm', purl: 'pkg:npm/lodash@4.17.20' },
  { name: 'lodash', version: '4.17.21', type: 'npm' },
  { name: 'requests', version: '2.30.0', type: 'python' },
  { name: 'requests', version: '2.31.0', type: 'python' },
  { name: 'golang.org/x/net', version: 'v0.10.0', type: 'go-module' },
  { name: 'golang.org/x/net', version: 'v1.2.0', type: 'go-module' },
  { name: 'rack', version: '2.2.3', type: 'gem' },
  {
    name: 'log4j-core',
    version: '2.14.1',
    type: 'java-archive',
    purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
  },
  { name: 'mystery', version: '1.0', type: 'unknown-type' },
];

forEachDriver('vulndb store', (driver) => {
  const tdb = withTestDatabase(driver);
  let store: VulnDbStore;
  beforeAll(async () => {
    store = await VulnDbStore.open(tdb.db);
  });

  it('starts empty', async () => {
    expect((await store.status()).generation).toBeNull();
    expect(await store.lookup([{ ecosystem: 'npm', name: 'lodash' }])).toEqual([]);
  });

  it('imports records, skips invalid ones and reports status per ecosystem', async () => {
    const r = await store.import(fromArray(RECORDS), { mode: 'full', sources: ['fixtures'] });
    expect(r.read).toBe(RECORDS.length);
    expect(r.invalid).toBe(1);
    expect(r.imported).toBe(RECORDS.length - 1);
    const s = await store.status();
    expect(s.generation).toBe(r.generation);
    expect(s.contentHash).toBe(r.contentHash);
    expect(s.advisories).toBe(RECORDS.length - 1);
    expect(s.withdrawn).toBe(1);
    expect(s.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(s.ecosystems.find((e) => e.ecosystem === 'npm')).toEqual({
      ecosystem: 'npm',
      advisories: 3,
      affected: 3,
    });
    expect(s.ecosystems.find((e) => e.ecosystem === 'Debian:12')?.advisories).toBe(2);
  });

  it('matches SBOM packages: source packages, every event type, aliases, withdrawn, fix state', async () => {
    const { matches, unmapped } = await matchPackages(PKGS, store);
    const by = (name: string, version: string) =>
      matches.filter((m) => m.package.name === name && m.package.version === version);
    const openssl = by('libssl3', '3.0.11-1~deb12u1');
    expect(openssl.map((m) => m.id)).toEqual(['CVE-2023-5678']);
    expect(openssl[0]!.relatedVulnerabilities).toEqual(['DEBIAN-CVE-2023-5678']);
    expect(openssl[0]!.fix).toEqual({ state: 'fixed', versions: ['3.0.11-1~deb12u2'] });
    expect(openssl[0]!.matchedName).toBe('openssl');
    expect(by('libssl3', '3.0.11-1~deb12u2')).toEqual([]);
    expect(by('libc6', '2.36-9+deb12u4')[0]!.fix.state).toBe('not-fixed');
    const curl = by('curl', '7.81.0-1ubuntu1.16');
    expect(curl[0]!.fix.state).toBe('wont-fix');
    expect(curl[0]!.severity).toBe('Medium');
    expect(curl[0]!.ecosystem).toBe('Ubuntu:22.04:LTS');
    expect(matches.find((m) => m.package.type === 'apk')?.id).toBe('CVE-2024-5535');
    // Two sources, one finding; highest severity (9.8 from the CVE record); withdrawn one absent.
    const lodash = by('lodash', '4.17.20');
    expect(lodash).toHaveLength(1);
    expect(lodash[0]!.id).toBe('CVE-2021-23337');
    expect(lodash[0]!.relatedVulnerabilities).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(lodash[0]!.advisories).toEqual(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm']);
    expect(lodash[0]!.severity).toBe('Critical');
    expect(lodash[0]!.cvssScore).toBeCloseTo(9.8);
    expect(by('lodash', '4.17.21')).toEqual([]);
    // last_affected inclusive; PyPI names normalised (DB has "Requests").
    expect(by('requests', '2.30.0')[0]!.fix.state).toBe('unknown');
    expect(by('requests', '2.31.0')).toEqual([]);
    // limit: versions at or above it are out of the range.
    expect(by('golang.org/x/net', 'v0.10.0')[0]!.fix.versions).toEqual(['0.17.0']);
    expect(by('golang.org/x/net', 'v1.2.0')).toEqual([]);
    expect(by('rack', '2.2.3')[0]!.severity).toBe('Critical'); // CVSS v4.0, official scoring
    expect(by('rack', '2.2.3')[0]!.cvssScore).toBe(9.3);
    const log4j = by('log4j-core', '2.14.1');
    expect(log4j[0]!.id).toBe('CVE-2021-44228');
    expect(log4j[0]!.fix.versions).toEqual(['2.15.0']);
    expect(log4j[0]!.severity).toBe('Critical');
    expect(unmapped.map((p) => p.name)).toEqual(['mystery']);
  });

  it('applies ignore rules by id/alias, package and fix state', async () => {
    const r = await matchPackages(PKGS, store, {
      ignore: [
        { vulnerability: 'GHSA-35jh-r3h4-6jhm' },
        { fixState: 'wont-fix' },
        { package: { type: 'apk' } },
      ],
    });
    expect(r.ignored.map((i) => i.match.id).sort()).toEqual([
      'CVE-2021-23337',
      'CVE-2024-2398',
      'CVE-2024-5535',
    ]);
    expect(r.matches.some((m) => m.id === 'CVE-2021-23337')).toBe(false);
  });

  it('incremental import skips records that are not newer and replaces newer ones', async () => {
    const before = await store.status();
    const older = { ...RECORDS[4]!, modified: '2023-01-01T00:00:00Z', summary: 'old' };
    const newer = {
      ...RECORDS[4]!,
      modified: '2024-06-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'lodash' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.22' }] }],
        },
      ],
    };
    const r1 = await store.import(fromArray([older]), { mode: 'incremental' });
    expect(r1.skippedNotNewer).toBe(1);
    expect(r1.imported).toBe(0);
    expect(r1.contentHash).toBe(before.contentHash);
    const r2 = await store.import(fromArray([newer]), { mode: 'incremental' });
    expect(r2.imported).toBe(1);
    expect((await store.status()).advisories).toBe(before.advisories);
    const rows = await store.lookup([{ ecosystem: 'npm', name: 'lodash' }]);
    const ghsa = rows.find((x) => x.advisoryId === 'GHSA-35jh-r3h4-6jhm')!;
    expect(JSON.stringify(ghsa.ranges)).toContain('4.17.22');
    expect(r2.contentHash).not.toBe(before.contentHash);
    // Old generations are gone: only the live one has rows.
    const { rows: gens } = await tdb.db.query<{ n: string | number }>(
      `SELECT count(DISTINCT generation) AS n FROM vulndb_advisories`,
    );
    expect(Number(gens[0]!.n)).toBe(1);
  });

  it('a full import keeps the newest copy of an id that appears in several batches (and dumps)', async () => {
    const rec = (id: string, modified: string, fixed: string) => ({
      id,
      modified,
      affected: [
        {
          package: { ecosystem: 'npm', name: `dup-${id}` },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
        },
      ],
    });
    // Batches of 2: the duplicates land in later batches than the first copy, so on PostgreSQL the
    // optimistic COPY meets the primary key and falls back to the lookup path.
    const records = [
      rec('DUP-A', '2024-01-01T00:00:00Z', '1.0.0'),
      rec('DUP-B', '2024-01-01T00:00:00Z', '1.0.0'),
      rec('DUP-C', '2024-01-01T00:00:00Z', '1.0.0'),
      rec('DUP-A', '2024-03-01T00:00:00Z', '3.0.0'),
      rec('DUP-D', '2024-01-01T00:00:00Z', '1.0.0'),
      rec('DUP-A', '2024-02-01T00:00:00Z', '2.0.0'),
    ];
    const r = await store.import(fromArray(records), { mode: 'full', batchSize: 2 });
    expect(r.imported).toBe(5); // A, B, C, A (replacing A), D
    expect(r.skippedNotNewer).toBe(1);
    expect((await store.status()).advisories).toBe(4);
    const rows = await store.lookup([{ ecosystem: 'npm', name: 'dup-DUP-A' }]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ranges[0]!.events).toEqual([{ introduced: '0' }, { fixed: '3.0.0' }]);
    expect(rows[0]!.modified).toBe('2024-03-01T00:00:00.000Z');
    // Restore the fixtures for the tests below.
    await store.import(fromArray(RECORDS), { mode: 'full' });
  });

  it('readers never see a half-loaded generation; a failed import leaves the DB untouched', async () => {
    const before = await store.status();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<unknown> {
      yield {
        id: 'NEW-0001',
        modified: '2025-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, versions: ['1.0.0'] }],
      };
      yield* fromArray(
        Array.from({ length: 600 }, (_, i) => ({ id: `FILL-${i}`, modified: '2025-01-01T00:00:00Z' })),
      );
      await gate;
    }
    const running = store.import(slow(), { mode: 'full', batchSize: 100 });
    await new Promise((r) => setTimeout(r, 300));
    // Mid-import: the batches written so far are invisible.
    expect(await store.lookup([{ ecosystem: 'npm', name: 'left-pad' }])).toEqual([]);
    expect((await store.status()).generation).toBe(before.generation);
    release();
    await running;
    expect(await store.lookup([{ ecosystem: 'npm', name: 'left-pad' }])).toHaveLength(1);
    expect(await store.lookup([{ ecosystem: 'npm', name: 'lodash' }])).toEqual([]); // full mode replaced everything

    async function* failing(): AsyncGenerator<unknown> {
      yield* fromArray(RECORDS.slice(0, 3));
      throw new Error('source broke');
    }
    const gen = (await store.status()).generation;
    await expect(store.import(failing(), { mode: 'full' })).rejects.toThrow('source broke');
    expect((await store.status()).generation).toBe(gen);
    const { rows } = await tdb.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM vulndb_advisories WHERE generation <> $1`,
      [gen],
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('an incremental import whose base changed meanwhile is rejected', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<unknown> {
      await gate;
      yield RECORDS[0];
    }
    const a = store.import(slow(), { mode: 'incremental' });
    await new Promise((r) => setTimeout(r, 100));
    await store.import(fromArray(RECORDS), { mode: 'full' });
    release();
    await expect(a).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });

  it.skipIf(!hasPython)('imports all.zip, NDJSON and JSON files with the same content hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-src-'));
    const zip = join(dir, 'all.zip');
    writeZip(zip, RECORDS);
    const rz = await store.import(readOsvZip(zip), { mode: 'full' });
    const nd = RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const rn = await store.import(readOsvNdjson(Readable.from([nd])), { mode: 'full' });
    const files = RECORDS.slice()
      .reverse()
      .map((r, i) => {
        const p = join(dir, `${i}.json`);
        writeFileSync(p, JSON.stringify(r));
        return p;
      });
    const rf = await store.import(readOsvJsonFiles(files), { mode: 'full' });
    expect(rz.imported).toBe(RECORDS.length - 1);
    expect(rn.contentHash).toBe(rz.contentHash);
    expect(rf.contentHash).toBe(rz.contentHash); // order-independent
  });

  describe.skipIf(!hasPython)('update from an HTTP mirror', () => {
    let server: Server;
    let base: string;
    const hits: Record<string, number> = {};
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'osv-mirror-'));
      writeZip(
        join(dir, 'npm.zip'),
        RECORDS.filter((r) => JSON.stringify(r).includes('"npm"')),
      );
      writeZip(
        join(dir, 'Debian.zip'),
        RECORDS.filter((r) => JSON.stringify(r).includes('Debian')),
      );
      const { readFileSync } = await import('node:fs');
      server = createServer((req, res) => {
        const url = decodeURIComponent(req.url ?? '');
        hits[url] = (hits[url] ?? 0) + 1;
        // Flaky: the first npm request fails with 503, the retry succeeds.
        if (url === '/npm/all.zip' && hits[url] === 1) return void res.writeHead(503).end();
        const m = /^\/([^/]+)\/all\.zip$/.exec(url);
        if (!m || !['npm', 'Debian', 'Big'].includes(m[1]!)) return void res.writeHead(404).end();
        if (m[1] === 'Big') {
          res.writeHead(200);
          res.end(Buffer.alloc(64 * 1024));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/zip' }).end(readFileSync(join(dir, `${m[1]}.zip`)));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    const cfg = (over: Record<string, string> = {}) =>
      loadVulnDbConfig({
        KSCAPE_VULNDB_BASE_URL: base,
        KSCAPE_VULNDB_ECOSYSTEMS: 'npm,Debian',
        KSCAPE_VULNDB_RETRIES: '2',
        ...over,
      });

    it('downloads every configured ecosystem (retrying a 503) into one generation', async () => {
      const r = await updateVulnDb(store, cfg());
      expect(r.downloads.map((d) => d.ecosystem)).toEqual(['npm', 'Debian']);
      expect(hits['/npm/all.zip']).toBe(2);
      expect(r.mode).toBe('full');
      const s = await store.status();
      expect(s.ecosystems.map((e) => e.ecosystem).sort()).toEqual(['Debian:12', 'npm']);
      expect(allZipUrl('https://x/', 'crates.io')).toBe('https://x/crates.io/all.zip');
    });

    it('a partial refresh is incremental; missing dumps and oversize downloads fail without touching the DB', async () => {
      const gen = (await store.status()).generation;
      const r = await updateVulnDb(store, cfg(), { sources: ['Debian'] });
      expect(r.mode).toBe('incremental');
      expect((await store.status()).ecosystems.map((e) => e.ecosystem).sort()).toEqual(['Debian:12', 'npm']);
      const g2 = (await store.status()).generation;
      expect(g2).not.toBe(gen);
      await expect(updateVulnDb(store, cfg({ KSCAPE_VULNDB_ECOSYSTEMS: 'npm,Missing' }))).rejects.toThrow(
        /HTTP 404/,
      );
      await expect(
        updateVulnDb(
          store,
          cfg({ KSCAPE_VULNDB_ECOSYSTEMS: 'Big', KSCAPE_VULNDB_MAX_DOWNLOAD_BYTES: '4096' }),
        ),
      ).rejects.toBeInstanceOf(DownloadError);
      await expect(updateVulnDb(store, cfg(), { sources: ['PyPI'] })).rejects.toThrow(/not configured/);
      expect((await store.status()).generation).toBe(g2);
    });
  });
});
