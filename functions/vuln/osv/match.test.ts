/**
 * Matching per ecosystem on hand-made OSV fixtures (__fixtures__/ecosystems.ts), through the real
 * store on PGlite and PostgreSQL: every SBOM package must produce exactly the expected findings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { forEachDriver, withTestDatabase } from '../../../lib/db/testing.js';
import { MATCH_CASES, type Expected } from './__fixtures__/ecosystems.js';
import { lookupKeys, matchPackages, type VulnerabilityMatch } from './match.js';
import { VulnDbStore } from './store/index.js';

async function* fromArray(xs: readonly unknown[]): AsyncGenerator<unknown> {
  for (const x of xs) yield x;
}

function summary(m: VulnerabilityMatch): Expected {
  return {
    id: m.id,
    ...(m.relatedVulnerabilities.length > 0 ? { related: m.relatedVulnerabilities } : {}),
    fix: m.fix,
  };
}

forEachDriver('matching per ecosystem', (driver) => {
  const tdb = withTestDatabase(driver);
  let store: VulnDbStore;
  beforeAll(async () => {
    store = await VulnDbStore.open(tdb.db);
    const r = await store.import(fromArray(MATCH_CASES.flatMap((c) => c.records)), { mode: 'full' });
    expect(r.invalid).toBe(0);
  });

  for (const c of MATCH_CASES) {
    it(c.name, async () => {
      // One call for all packages of the case, as the vuln function does for an SBOM.
      const { matches, unmapped } = await matchPackages(
        c.packages.map(([p]) => p),
        store,
      );
      expect(unmapped).toEqual([]);
      for (const [pkg, want] of c.packages) {
        const got = matches
          .filter((m) => m.package === pkg)
          .map(summary)
          .sort((a, b) => a.id.localeCompare(b.id));
        expect(got, `${pkg.name}@${pkg.version}`).toEqual(want);
      }
    });
  }
});

describe('lookup keys', () => {
  it('rpm: binary name with the purl epoch, then the source RPM name', () => {
    expect(
      lookupKeys({
        name: 'openssl-libs',
        version: '3.0.7-24.el9',
        type: 'rpm',
        purl: 'pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=almalinux-9.3',
      }),
    ).toEqual([
      { ecosystem: 'AlmaLinux:9', name: 'openssl-libs', version: '1:3.0.7-24.el9' },
      { ecosystem: 'AlmaLinux:9', name: 'openssl', version: '1:3.0.7-24.el9' },
    ]);
  });
  it('deb: the source package and its version', () => {
    expect(
      lookupKeys({
        name: 'libssl3',
        version: '3.0.11-1~deb12u2+b1',
        type: 'deb',
        distro: { id: 'debian', versionId: '12.5' },
        sourceName: 'openssl',
        sourceVersion: '3.0.11-1~deb12u2',
      }),
    ).toEqual([{ ecosystem: 'Debian:12', name: 'openssl', version: '3.0.11-1~deb12u2' }]);
  });
});
