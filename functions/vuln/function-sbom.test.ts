/** Pure parts of the vuln function: SPDX round trip of packages and owned files, the relevancy filter, error classification. */
import { describe, expect, it } from 'vitest';
import { MemorySbomCache } from './cache.js';
import { NotFoundError, RegistryError, TooManyRequestsError, UnauthorizedError, UnsupportedSchemaError } from './errors.js';
import { canonicalPath, filterSbom, OWNED_FILES_MARKER, packagesFromSpdx, toSbomPackage, withOwnedFiles } from './function-sbom.js';
import { writeFixtureImage } from './function-testing.js';
import { classifyImageError } from './function.js';
import { generateSbom } from './generate.js';

describe('stored SBOM → packages', () => {
  it('the generated packages survive the SPDX round trip (purl, source package, evidence location, owned files)', async () => {
    const img = await writeFixtureImage();
    try {
      const r = await generateSbom(`oci:${img.dir}:latest`, { cache: new MemorySbomCache() });
      const doc = withOwnedFiles(r.sbom!, r.packages, 'Tool: kscape-test');
      const back = packagesFromSpdx(doc);
      expect(back.map((p) => p.name).sort()).toEqual(r.packages.map((p) => p.name).sort());
      for (const p of r.packages) {
        const b = back.find((x) => x.name === p.name)!;
        expect(b).toMatchObject({ version: p.version, type: p.type, purl: p.purl });
        expect(b.files).toEqual([...(p.files ?? [])].sort());
        expect(b.locations.map((l) => l.path)).toEqual(['/var/lib/dpkg/status']);
        expect(b.locations[0]!.layerID).toMatch(/^sha256:/);
        if (p.sourceName && p.sourceName !== p.name) expect(b.sourceName).toBe(p.sourceName);
      }
      expect(toSbomPackage(back.find((p) => p.name === 'libc6')!)).toMatchObject({ name: 'libc6', sourceName: 'glibc' });
      expect(JSON.stringify(doc)).toContain(OWNED_FILES_MARKER);
      // Without owned files (an SBOM from another tool) packages still come back, with no files.
      expect(packagesFromSpdx(r.sbom!).every((p) => p.files.length === 0)).toBe(true);
    } finally {
      img.close();
    }
  });

  it('upstream with a version gives source name and version', () => {
    const doc = {
      spdxVersion: 'SPDX-2.3' as const,
      dataLicense: 'CC0-1.0' as const,
      SPDXID: 'SPDXRef-DOCUMENT' as const,
      name: 'x',
      documentNamespace: 'https://x',
      creationInfo: { licenseListVersion: '3.25', creators: [], created: '2026-01-01T00:00:00Z' },
      packages: [
        { SPDXID: 'SPDXRef-root', name: 'img', versionInfo: 'sha256:1', primaryPackagePurpose: 'CONTAINER' },
        { SPDXID: 'SPDXRef-p', name: 'libfoo1', versionInfo: '1.0-1+b2', licenseDeclared: 'MIT', externalRefs: [{ referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libfoo1@1.0-1%2Bb2?arch=amd64&upstream=foo%401.0-1&distro=debian-12' }] },
        { SPDXID: 'SPDXRef-n', name: 'left-pad', versionInfo: '1.3.0', externalRefs: [{ referenceType: 'purl', referenceLocator: 'pkg:npm/left-pad@1.3.0' }] },
      ],
      files: [],
      relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: 'SPDXRef-root', relationshipType: 'DESCRIBES' }],
    };
    const pk = packagesFromSpdx(doc);
    expect(pk).toHaveLength(2);
    expect(pk[0]).toMatchObject({ type: 'deb', sourceName: 'foo', sourceVersion: '1.0-1', licenses: ['MIT'] });
    expect(pk[1]).toMatchObject({ type: 'npm', name: 'left-pad' });
  });
});

describe('relevancy filter', () => {
  it('keeps the root, packages owning files in use (usrmerge-aware) and npm packages with files in use in their directory', async () => {
    const img = await writeFixtureImage();
    try {
      const r = await generateSbom(`oci:${img.dir}:latest`, { cache: new MemorySbomCache() });
      const doc = withOwnedFiles(r.sbom!, r.packages, 'Tool: kscape-test');
      const f = filterSbom(doc, ['/usr/lib/x86_64-linux-gnu/libssl.so.3', '/usr/lib/x86_64-linux-gnu/libm.so.6', '/app/server', '/proc/self/maps'], 'Tool: kscape-test', '2026-01-01T00:00:00Z');
      expect(f.kept.map((p) => p.name).sort()).toEqual(['libc6', 'libssl3']);
      expect(f.unowned).toBe(2);
      const pk = f.doc.packages.filter((p) => p.primaryPackagePurpose !== 'CONTAINER');
      expect(pk.map((p) => p.name).sort()).toEqual(['libc6', 'libssl3']);
      const libc = pk.find((p) => p.name === 'libc6') as { annotations: { comment: string }[] };
      expect(libc.annotations.map((a) => a.comment)).toEqual(['kscape:files-in-use\n/lib/x86_64-linux-gnu/libm.so.6']);
      const ids = new Set([...f.doc.packages.map((p) => String(p.SPDXID)), ...f.doc.files.map((x) => String(x.SPDXID)), 'SPDXRef-DOCUMENT']);
      for (const rel of f.doc.relationships) expect(ids.has(rel.spdxElementId) && ids.has(rel.relatedSpdxElement)).toBe(true);
      expect(filterSbom(doc, [], 'Tool: t', '2026-01-01T00:00:00Z').kept).toEqual([]);
    } finally {
      img.close();
    }
  });

  it('canonicalPath maps the merged-/usr directories only', () => {
    expect(canonicalPath('/lib/x86_64-linux-gnu/libc.so.6')).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(canonicalPath('/bin/sh')).toBe('/usr/bin/sh');
    expect(canonicalPath('/lib64/ld-linux-x86-64.so.2')).toBe('/usr/lib64/ld-linux-x86-64.so.2');
    expect(canonicalPath('/library/x')).toBe('/library/x');
    expect(canonicalPath('/usr/lib/x')).toBe('/usr/lib/x');
  });
});

describe('image failures', () => {
  it('classified once: permanent, rate-limited or transient, with the status to record', () => {
    expect(classifyImageError(new NotFoundError('manifest x: not found'))).toMatchObject({ status: 'failed', answer: 'permanent' });
    expect(classifyImageError(new UnsupportedSchemaError('schema 1'))).toMatchObject({ status: 'unsupported-schema', answer: 'permanent' });
    expect(classifyImageError(new TooManyRequestsError('slow down', 30_000))).toMatchObject({ answer: 'rate-limited', retryAfterSeconds: 30 });
    expect(classifyImageError(new RegistryError('fetch failed'))).toMatchObject({ answer: 'transient', reason: expect.stringMatching(/unreachable/) });
    expect(classifyImageError(new RegistryError('bad gateway', 502))).toMatchObject({ answer: 'transient' });
    expect(classifyImageError(new RegistryError('gone', 410))).toMatchObject({ answer: 'permanent' });
    // generateSbom turns these into statuses itself; anything unknown is not an image failure.
    expect(classifyImageError(new UnauthorizedError('401'))).toBeUndefined();
    expect(classifyImageError(new Error('boom'))).toBeUndefined();
  });
});
