/**
 * Acceptance tests on real parts: a Debian bookworm minbase root filesystem (debootstrap), packed
 * into an OCI layout with umoci, exported with skopeo to docker-archive/oci-archive and pushed to
 * Debian's docker-registry (anonymous and htpasswd basic auth). Skipped with a message when a tool
 * is missing; CI installs them (see .ci/run).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureDebianImage, missingTools, skopeoCopy, startRegistry, type DebianImage, type Registry } from '../../test/fixtures/images/debian.js';
import { ANNOTATIONS, STATUS } from '../../lib/api/constants.js';
import { imageSlug } from '../../lib/api/names.js';
import { MemorySbomCache } from './cache.js';
import { generateSbom, type GenerateResult } from './generate.js';
import { credentialsFromDockerConfig } from './image/credentials.js';
import type { FetchLike } from './image/registry.js';
import { buildSbomObject } from './sbom/object.js';
import { validateSpdx } from './sbom/validate.js';
import { toCycloneDx } from './sbom/cyclonedx.js';

const missing = missingTools(['debootstrap', 'umoci', 'skopeo', 'docker-registry', 'htpasswd', 'flock']);
if (missing) console.warn(`[vuln acceptance] skipped: ${missing}`);

const debs = (r: GenerateResult): string[] =>
  r.packages
    .filter((p) => p.type === 'deb')
    .map((p) => `${p.name} ${p.version} ${p.sourceName ?? p.name}`)
    .sort();
const purls = (r: GenerateResult): string[] => r.packages.map((p) => p.purl).sort();

describe.skipIf(missing !== undefined)('debian bookworm image (debootstrap → umoci → skopeo → docker-registry)', () => {
  let img: DebianImage;
  let reg: Registry;
  let authReg: Registry;
  let fromLayout: GenerateResult;
  const cache = new MemorySbomCache();

  beforeAll(async () => {
    img = await ensureDebianImage('bookworm');
    [reg, authReg] = await Promise.all([startRegistry(), startRegistry({ user: 'kscape', password: 's3cret!' })]);
    await skopeoCopy(`oci:${img.ociLayout}:latest`, `docker://${reg.host}/kscape/debian:bookworm`);
    await skopeoCopy(`oci:${img.ociLayout}:latest`, `docker://${authReg.host}/private/debian:bookworm`, 'kscape:s3cret!');
    fromLayout = await generateSbom(`oci:${img.ociLayout}:latest`, { cache: new MemorySbomCache() });
  }, 25 * 60_000);

  afterAll(async () => {
    await Promise.all([reg?.stop(), authReg?.stop()]);
  });

  test('dpkg packages equal dpkg-query (name, version, source package)', () => {
    const truth = execFileSync('dpkg-query', ['-W', '-f', '${Package} ${Version} ${source:Package}\n', `--admindir=${img.rootfs}/var/lib/dpkg`])
      .toString()
      .trim()
      .split('\n')
      .sort();
    expect(truth.length).toBeGreaterThan(50);
    expect(fromLayout.status).toBe(STATUS.ready);
    expect(debs(fromLayout)).toEqual(truth);
    expect(fromLayout.distro).toMatchObject({ id: 'debian', versionId: '12', versionCodename: 'bookworm' });
    const libc = fromLayout.packages.find((p) => p.name === 'libc6')!;
    expect(libc.purl).toMatch(/^pkg:deb\/debian\/libc6@[^?]+\?arch=amd64&upstream=glibc&distro=debian-12$/);
    expect(libc.files).toContain('/lib/x86_64-linux-gnu/libc.so.6');
    expect(libc.locations[0]).toMatchObject({ path: '/var/lib/dpkg/status' });
    expect(libc.locations[0]!.layerDigest).toMatch(/^sha256:/);
    expect(fromLayout.packages.find((p) => p.name === 'bash')!.licenses.length).toBeGreaterThan(0);
  });

  test('SPDX document validates against the SPDX 2.3 schema; CycloneDX has the same packages', () => {
    const v = validateSpdx(fromLayout.sbom);
    expect(v.errors).toEqual([]);
    const sbom = fromLayout.sbom!;
    expect(sbom.creationInfo.creators).toContain('Tool: kscape-0.1.0');
    const purlRefs = sbom.packages.flatMap((p) => (p.externalRefs as { referenceLocator: string; referenceType: string }[]).filter((r) => r.referenceType === 'purl').map((r) => r.referenceLocator));
    for (const p of fromLayout.packages) expect(purlRefs).toContain(p.purl);
    expect(sbom.relationships.filter((r) => r.relationshipType === 'DESCRIBES')).toHaveLength(1);
    expect(sbom.relationships.filter((r) => r.relationshipType === 'CONTAINS').length).toBeGreaterThanOrEqual(fromLayout.packages.length);
    expect(sbom.files.some((f) => f.fileName === '/var/lib/dpkg/status')).toBe(true);
    const cdx = toCycloneDx({ image: fromLayout.image, digest: fromLayout.digest, packages: fromLayout.packages, toolVersion: '0.1.0' });
    expect(cdx.components.map((c) => c.purl).sort()).toEqual(purls(fromLayout));
  });

  test('registry, OCI layout, oci-archive and docker-archive give the same packages', async () => {
    const viaRegistry = await generateSbom(`${reg.host}/kscape/debian:bookworm`, { insecureRegistries: [reg.host], cache: new MemorySbomCache() });
    const viaDocker = await generateSbom(`docker-archive:${img.dockerArchive}`, { cache: new MemorySbomCache() });
    const viaOciArchive = await generateSbom(`oci-archive:${img.ociArchive}:latest`, { cache: new MemorySbomCache() });
    for (const r of [viaRegistry, viaDocker, viaOciArchive]) {
      expect(r.status).toBe(STATUS.ready);
      expect(debs(r)).toEqual(debs(fromLayout));
      expect(purls(r)).toEqual(purls(fromLayout));
    }
    expect(viaRegistry.digest).toBe(fromLayout.digest); // the manifest digest survives the push
  });

  test('basic auth (htpasswd): credentials from a .dockerconfigjson secret; none → unauthorize', async () => {
    const ref = `${authReg.host}/private/debian:bookworm`;
    const anon = await generateSbom(ref, { insecureRegistries: [authReg.host], cache: new MemorySbomCache() });
    expect(anon.status).toBe(STATUS.unauthorize);
    expect(anon.sbom).toBeUndefined();
    const wrong = credentialsFromDockerConfig({ auths: { [authReg.host]: { auth: Buffer.from('kscape:nope').toString('base64') } } });
    expect((await generateSbom(ref, { insecureRegistries: [authReg.host], credentials: wrong, cache: new MemorySbomCache() })).status).toBe(STATUS.unauthorize);
    const creds = credentialsFromDockerConfig(JSON.stringify({ auths: { [`http://${authReg.host}`]: { username: 'kscape', password: 's3cret!' } } }));
    const ok = await generateSbom(ref, { insecureRegistries: [authReg.host], credentials: creds, cache: new MemorySbomCache() });
    expect(ok.status).toBe(STATUS.ready);
    expect(debs(ok)).toEqual(debs(fromLayout));
  });

  test('plain HTTP is never used unless the registry is configured insecure', async () => {
    await expect(generateSbom(`${reg.host}/kscape/debian:bookworm`, { cache: new MemorySbomCache() })).rejects.toThrow();
  });

  test('cache: a second request for the same digest pulls nothing', async () => {
    let blobGets = 0;
    let requests = 0;
    const counting: FetchLike = (url, init) => {
      requests++;
      if (url.includes('/blobs/')) blobGets++;
      return fetch(url, init);
    };
    const opts = { insecureRegistries: [reg.host], cache, fetch: counting };
    const first = await generateSbom(`${reg.host}/kscape/debian:bookworm`, opts);
    expect(first.fromCache).toBe(false);
    expect(blobGets).toBeGreaterThan(1);
    blobGets = 0;
    requests = 0;
    const byDigest = await generateSbom(`${reg.host}/kscape/debian@${first.digest}`, opts);
    expect(byDigest.fromCache).toBe(true);
    expect(requests).toBe(0);
    const byTag = await generateSbom(`${reg.host}/kscape/debian:bookworm`, opts);
    expect(byTag.fromCache).toBe(true);
    expect(byTag.packages).toEqual(first.packages);
    // Only the manifest and config were fetched to learn the digest; no layer.
    expect(blobGets).toBeLessThanOrEqual(1);
  });

  test('layered image: whiteouts hide lower-layer files; new layer packages found', async () => {
    const r = await generateSbom(`oci:${img.ociLayout}:layered`, { cache: new MemorySbomCache() });
    expect(debs(r)).toEqual(debs(fromLayout));
    expect(r.packages.find((p) => p.name === 'left-pad')).toMatchObject({ type: 'npm', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0', licenses: ['WTFPL'] });
    const bash = r.packages.find((p) => p.name === 'bash')!;
    // /usr/share/doc was deleted in layer 2: its copyright (licenses) and files are gone.
    expect(bash.licenses).toEqual([]);
    expect(bash.files!.some((f) => f.startsWith('/usr/share/doc/'))).toBe(false);
    expect(fromLayout.packages.find((p) => p.name === 'bash')!.files!.some((f) => f.startsWith('/usr/share/doc/'))).toBe(true);
  });

  test('too large → status too-large marker object without a document', async () => {
    const r = await generateSbom(`oci:${img.ociLayout}:latest`, { cache: new MemorySbomCache(), limits: { maxImageSize: 1024 * 1024 } });
    expect(r.status).toBe(STATUS.tooLarge);
    const obj = buildSbomObject('docker.io/library/debian:bookworm', r.digest, r.sbom, r.status, { reason: r.reason });
    expect(obj.metadata.annotations![ANNOTATIONS.status]).toBe('too-large');
    expect(obj.spec.spdx).toBeUndefined();
  });

  test('buildSbomObject: slug name, image annotations/labels, ready status with the document', () => {
    const obj = buildSbomObject('docker.io/library/debian:bookworm', fromLayout.digest, fromLayout.sbom, STATUS.ready);
    expect(obj.metadata.name).toBe(imageSlug('docker.io/library/debian:bookworm', fromLayout.digest));
    expect(obj.metadata.annotations).toMatchObject({ [ANNOTATIONS.imageId]: fromLayout.digest, [ANNOTATIONS.imageTag]: 'docker.io/library/debian:bookworm', [ANNOTATIONS.status]: 'ready' });
    // Labels only when the sanitised value is a DNS-1123 label (Kubescape's rule): dots are not.
    expect(obj.metadata.labels!['kubescape.io/image-tag']).toBeUndefined();
    expect(buildSbomObject('debian:bookworm', fromLayout.digest, undefined, STATUS.incomplete).metadata.labels!['kubescape.io/image-tag']).toBe('debian-bookworm');
    expect(obj.spec.spdx?.spdxVersion).toBe('SPDX-2.3');
  });
});
