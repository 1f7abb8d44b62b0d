/**
 * The new catalogers through the whole pipeline a user reaches (`generateSbom`, what `kscape sbom`
 * runs): an OCI layout whose gzip layer holds an rpmdb (built by rpm when available), a jar, a
 * gemspec, a Composer installed.json and a .NET deps.json; the SPDX document must validate and
 * carry every package's purl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, test } from 'vitest';
import { writeOciLayout } from '../../../test/fixtures/images/debian.js';
import { MemorySbomCache } from '../cache.js';
import { generateSbom } from '../generate.js';
import { validateSpdx } from '../sbom/validate.js';
import { tarOf, zipOf, type TarFile } from './testing.js';

const work = mkdtempSync(join(tmpdir(), 'kscape-eco-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An rpmdb with one package, made by rpmbuild + rpm --justdb; undefined without rpm. */
function rpmdb(): Buffer | undefined {
  try {
    const spec = join(work, 'p.spec');
    writeFileSync(spec, 'Name: kscape-img\nVersion: 3.1\nRelease: 2\nSummary: t\nLicense: MIT\nBuildArch: noarch\n%description\nt\n%files\n');
    execFileSync('rpmbuild', ['--define', `_topdir ${join(work, 'top')}`, '-bb', spec], { stdio: 'ignore' });
    const db = join(work, 'db');
    execFileSync('rpm', ['--initdb', '--dbpath', db]);
    execFileSync('rpm', ['-i', '--justdb', '--nodeps', '--dbpath', db, join(work, 'top/RPMS/noarch/kscape-img-3.1-2.noarch.rpm')], { stdio: 'ignore' });
    return readFileSync(join(db, 'rpmdb.sqlite'));
  } catch {
    return undefined;
  }
}

test('rpm, Java, Ruby, Composer and .NET packages come out of generateSbom with a valid SPDX document', async () => {
  const db = rpmdb();
  const hasRpm = ((): boolean => {
    try {
      execFileSync('rpmbuild', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  expect(db !== undefined).toBe(hasRpm);
  const files: Record<string, TarFile> = {
    'etc/os-release': 'ID="rhel"\nVERSION_ID="9.3"\n',
    'opt/app/app.war': zipOf([
      { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\n\n' },
      { name: 'WEB-INF/lib/log4j-core-2.14.1.jar', data: zipOf([{ name: 'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties', data: 'groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n' }]) },
    ]),
    'usr/local/bundle/specifications/rack-2.2.8.gemspec': 'Gem::Specification.new do |s|\n  s.name = "rack".freeze\n  s.version = "2.2.8"\n  s.licenses = ["MIT".freeze]\nend\n',
    'srv/www/vendor/composer/installed.json': JSON.stringify({ packages: [{ name: 'guzzlehttp/guzzle', version: '7.8.0', license: ['MIT'] }] }),
    'app/api.deps.json': JSON.stringify({ libraries: { 'Newtonsoft.Json/13.0.1': { type: 'package', sha512: 'sha512-x' } } }),
  };
  if (db) files['var/lib/rpm/rpmdb.sqlite'] = db;
  const dir = join(work, 'oci');
  await writeOciLayout(dir, [{ bytes: gzipSync(tarOf(files)), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]);
  const r = await generateSbom(`oci:${dir}:latest`, { cache: new MemorySbomCache() });
  expect(r.status).toBe('ready');
  const purls = r.packages.map((p) => p.purl).sort();
  expect(purls).toEqual(
    [
      ...(db ? ['pkg:rpm/rhel/kscape-img@3.1-2?arch=noarch&upstream=kscape-img-3.1-2.src.rpm&distro=rhel-9.3'] : []),
      'pkg:composer/guzzlehttp/guzzle@7.8.0',
      'pkg:gem/rack@2.2.8',
      'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
      'pkg:nuget/Newtonsoft.Json@13.0.1',
    ].sort(),
  );
  const log4j = r.packages.find((p) => p.name === 'log4j-core')!;
  expect(log4j.metadata?.virtualPath).toBe('/opt/app/app.war:WEB-INF/lib/log4j-core-2.14.1.jar');
  expect(log4j.locations[0]!.layerDigest).toMatch(/^sha256:/);
  expect(validateSpdx(r.sbom)).toEqual({ valid: true, errors: [] });
  const spdxPurls = (r.sbom!.packages as { externalRefs?: { referenceType: string; referenceLocator: string }[] }[]).flatMap((p) => (p.externalRefs ?? []).filter((e) => e.referenceType === 'purl').map((e) => e.referenceLocator));
  for (const p of purls) expect(spdxPurls).toContain(p);
});
