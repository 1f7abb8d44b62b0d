/** Hostile layers: traversal, symlink loops, bombs, lying headers, truncation, digest mismatch. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { writeOciLayout } from '../../../test/fixtures/images/debian.js';
import { MemorySbomCache } from '../cache.js';
import { DigestMismatchError, LayerError } from '../errors.js';
import { generateSbom } from '../generate.js';
import { decompressLayer } from './decompress.js';
import { ImageFilesystem, SymlinkLoopError, normalisePath } from './filesystem.js';
import { contentRules, type Package } from '../catalog/index.js';
import { javaCataloger, scanJavaArchive } from '../catalog/java.js';
import { tarOf, zipOf, type ZipSpec } from '../catalog/testing.js';

/** One raw ustar header (+ data, padded). `size` may lie about the data that follows. */
function entry(name: string, data: Buffer | string = '', opts: { type?: string; linkname?: string; size?: number; mode?: number } = {}): Buffer {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(`${(opts.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${(opts.size ?? body.length).toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(opts.type ?? '0', 156);
  if (opts.linkname) h.write(opts.linkname, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}
const tar = (...entries: Buffer[]): Buffer => Buffer.concat([...entries, Buffer.alloc(1024)]);

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\n';
const STATUS = 'Package: foo\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\nPackage: bar\nStatus: install ok installed\nVersion: 2.0\nSource: barsrc (2.0-3)\nArchitecture: all\n';

const rules = [
  { id: 'status', match: (p: string) => p === 'var/lib/dpkg/status', maxBytes: 1024 * 1024 },
  { id: 'jar', match: (p: string) => p.endsWith('.jar'), maxBytes: 1024 * 1024, store: 'spool' as const },
];

async function apply(fs: ImageFilesystem, layer: Buffer, digest = 'sha256:l'): Promise<void> {
  const { stream } = await decompressLayer(Readable.from([layer]), 64 * 1024 * 1024, 'test');
  await fs.applyLayer(stream, digest);
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('path handling', () => {
  test('normalisePath neutralises ./, //, absolute names and rejects climbing above the root', () => {
    expect(normalisePath('./etc//os-release')).toBe('etc/os-release');
    expect(normalisePath('/etc/passwd')).toBe('etc/passwd');
    expect(normalisePath('a/b/../c')).toBe('a/c');
    expect(normalisePath('../../etc/shadow')).toBeUndefined();
    expect(normalisePath('etc/../../x')).toBeUndefined();
  });

  test('traversal entries are dropped and counted; nothing is written outside the spool dir', async () => {
    const fs = new ImageFilesystem(rules);
    const before = new Set(await readdir(tmpdir()));
    const { stream } = await decompressLayer(Readable.from([tar(entry('../../evil.jar', 'PK'), entry('/abs/ok.jar', 'PK'), entry('x/../../y', 'z'))]), 1 << 20, 't');
    const stats = await fs.applyLayer(stream, 'sha256:l');
    expect(stats.rejected).toEqual(['../../evil.jar', 'x/../../y']);
    expect(fs.stat('abs/ok.jar')?.type).toBe('file');
    const spooled = fs.spooled('abs/ok.jar')!;
    expect(spooled.startsWith(tmpdir())).toBe(true);
    expect(existsSync(join(tmpdir(), '..', 'evil.jar'))).toBe(false);
    const created = (await readdir(tmpdir())).filter((n) => !before.has(n));
    expect(created.every((n) => n.startsWith('kscape-sbom-'))).toBe(true);
    await fs.dispose();
    expect(existsSync(spooled)).toBe(false);
  });
  test('hard links naming a target above the root, or a missing one, link to nothing', async () => {
    const fs = new ImageFilesystem(rules);
    await apply(fs, tar(entry('var/lib/dpkg/status', STATUS), entry('out', '', { type: '1', linkname: '../../../etc/shadow' }), entry('in', '', { type: '1', linkname: 'var/lib/dpkg/status' }), entry('gone', '', { type: '1', linkname: 'nope' })));
    expect(fs.stat('out')).toMatchObject({ type: 'hardlink', linkname: undefined });
    expect(fs.read('out')).toBeUndefined();
    expect(fs.read('gone')).toBeUndefined();
    expect(fs.readText('in')).toBe(STATUS);
  });
});

describe('whiteouts and opaque directories', () => {
  test('.wh.<name> removes a lower file/dir; .wh..wh..opq hides lower children but keeps same-layer ones', async () => {
    const fs = new ImageFilesystem(rules);
    await apply(fs, tar(entry('a/', '', { type: '5' }), entry('a/x', 'x'), entry('a/y', 'y'), entry('b/z', 'z'), entry('c/keep', 'k'), entry('var/lib/dpkg/status', STATUS)), 'sha256:one');
    await apply(fs, tar(entry('a/new', 'n'), entry('a/.wh..wh..opq'), entry('.wh.b'), entry('var/lib/dpkg/.wh.status')), 'sha256:two');
    const paths = [...fs.walk()].map((m) => m.path);
    expect(paths).toContain('a/new');
    expect(paths).not.toContain('a/x');
    expect(paths).not.toContain('a/y');
    expect(paths.some((p) => p === 'b' || p.startsWith('b/'))).toBe(false);
    expect(paths).toContain('c/keep');
    expect(fs.read('var/lib/dpkg/status')).toBeUndefined();
    expect(fs.layerDigestOf('a/new')).toBe('sha256:two');
    expect(fs.layerDigestOf('c/keep')).toBe('sha256:one');
  });

  test('a file re-added above a whiteout is visible again with the new content', async () => {
    const fs = new ImageFilesystem(rules);
    await apply(fs, tar(entry('var/lib/dpkg/status', 'Package: old\nVersion: 1\n')));
    await apply(fs, tar(entry('var/lib/dpkg/.wh.status')));
    await apply(fs, tar(entry('var/lib/dpkg/status', STATUS)));
    expect(fs.readText('var/lib/dpkg/status')).toBe(STATUS);
  });
});

describe('symlinks', () => {
  test('resolved inside the image root; loops detected', async () => {
    const fs = new ImageFilesystem([{ id: 'os', match: (p) => p.endsWith('os-release'), maxBytes: 4096 }]);
    await apply(
      fs,
      tar(
        entry('usr/lib/os-release', OS_RELEASE),
        entry('etc/os-release', '', { type: '2', linkname: '../usr/lib/os-release' }),
        entry('escape', '', { type: '2', linkname: '../../../../usr/lib/os-release' }),
        entry('loop1', '', { type: '2', linkname: 'loop2' }),
        entry('loop2', '', { type: '2', linkname: '/loop1' }),
      ),
    );
    expect(fs.readText('etc/os-release')).toBe(OS_RELEASE);
    // `..` above the root clamps at the root, like a chroot: never the host's /usr/lib.
    expect(fs.resolve('escape')).toBe('usr/lib/os-release');
    expect(() => fs.resolve('loop1')).toThrow(SymlinkLoopError);
    expect(fs.read('loop1/x')).toBeUndefined();
  });
});

describe('bounded input', () => {
  test('a gzip bomb stops at the decompressed-size limit with LayerError', async () => {
    const bomb = gzipSync(tar(entry('zeros', Buffer.alloc(16 * 1024 * 1024)))); // ~16 KiB compressed
    expect(bomb.length).toBeLessThan(200 * 1024);
    const fs = new ImageFilesystem(rules);
    const { stream } = await decompressLayer(Readable.from([bomb]), 1024 * 1024, 'bomb');
    await expect(fs.applyLayer(stream, 'sha256:bomb')).rejects.toThrow(/decompression bomb/);
  });

  test('a header claiming 10 GB with a truncated body fails clearly without allocating', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const fs = new ImageFilesystem(rules);
    const lying = Buffer.concat([entry('var/lib/dpkg/status', '', { size: 10 * 1024 ** 3 }), Buffer.alloc(4096, 0x41)]);
    await expect(apply(fs, lying)).rejects.toThrow(LayerError);
    await expect(apply(new ImageFilesystem(rules), lying)).rejects.toThrow(/truncated/);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(fs.skipped).toEqual([{ path: 'var/lib/dpkg/status', reason: expect.stringContaining('10737418240 bytes') }]);
  });

  test('a truncated gzip layer → LayerError', async () => {
    const gz = gzipSync(tar(entry('var/lib/dpkg/status', STATUS), entry('big', Buffer.alloc(100_000, 7))));
    const fs = new ImageFilesystem(rules);
    await expect(apply(fs, gz.subarray(0, gz.length - 40))).rejects.toThrow(LayerError);
  });

  test('wanted files above their cap are skipped and reported, not read', async () => {
    const fs = new ImageFilesystem([{ id: 'status', match: (p) => p === 'var/lib/dpkg/status', maxBytes: 10 }]);
    await apply(fs, tar(entry('var/lib/dpkg/status', STATUS)));
    expect(fs.read('var/lib/dpkg/status')).toBeUndefined();
    expect(fs.skipped[0]?.path).toBe('var/lib/dpkg/status');
  });
});

const hasZstd = (() => {
  try {
    execFileSync('zstd', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe('compression', () => {
  test.skipIf(!hasZstd)('zstd layers (made by the zstd CLI) are detected by magic and read; truncated zstd → LayerError', async () => {
    const plain = tar(entry('var/lib/dpkg/status', STATUS), entry('big', Buffer.alloc(300_000, 3)));
    const z = execFileSync('zstd', ['-q', '-c', '-3'], { input: plain });
    expect([...z.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    const fs = new ImageFilesystem(rules);
    const { stream, compression } = await decompressLayer(Readable.from([z.subarray(0, 100), z.subarray(100)]), 1 << 24, 'zstd');
    expect(compression).toBe('zstd');
    await fs.applyLayer(stream, 'sha256:z');
    expect(fs.readText('var/lib/dpkg/status')).toBe(STATUS);
    await expect(apply(new ImageFilesystem(rules), z.subarray(0, z.length - 20))).rejects.toThrow(LayerError);
  });
});

describe('zstd bomb', () => {
  test.skipIf(!hasZstd)('a zstd bomb stops at the decompressed-size limit with LayerError', async () => {
    const bomb = execFileSync('zstd', ['-q', '-c', '-19'], { input: tar(entry('zeros', Buffer.alloc(16 * 1024 * 1024))), maxBuffer: 64 << 20 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { stream } = await decompressLayer(Readable.from([bomb]), 1024 * 1024, 'zbomb');
    await expect(new ImageFilesystem(rules).applyLayer(stream, 'sha256:zbomb')).rejects.toThrow(/decompression bomb/);
  });
});

describe('generateSbom on synthetic OCI layouts', () => {
  test('gzip, zstd-free plain tar layers catalog; a wrong blob digest → DigestMismatchError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kscape-oci-'));
    dirs.push(dir);
    const l1 = gzipSync(tar(entry('etc/os-release', OS_RELEASE), entry('var/lib/dpkg/status', STATUS)));
    const l2 = tar(entry('usr/lib/node_modules/@scope/pkg/package.json', JSON.stringify({ name: '@scope/pkg', version: '1.2.3', license: 'MIT' })));
    await writeOciLayout(dir, [{ bytes: l1, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }, { bytes: l2 }]);
    const r = await generateSbom(`oci:${dir}:latest`, { cache: new MemorySbomCache() });
    expect(r.packages.map((p) => p.purl).sort()).toEqual([
      'pkg:deb/debian/bar@2.0?arch=all&upstream=barsrc%402.0-3&distro=debian-12',
      'pkg:deb/debian/foo@1.0-1?arch=amd64&distro=debian-12',
      'pkg:npm/%40scope/pkg@1.2.3',
    ]);
    const bad = await mkdtemp(join(tmpdir(), 'kscape-oci-'));
    dirs.push(bad);
    await writeOciLayout(bad, [{ bytes: l1 }, { bytes: l2 }], { corruptLayer: 1 });
    await expect(generateSbom(`oci:${bad}:latest`, { cache: new MemorySbomCache() })).rejects.toThrow(DigestMismatchError);
  });
});

describe('hostile zip archives (Java cataloger)', () => {
  const pom = (g: string, a: string, v: string): ZipSpec => ({ name: `META-INF/maven/${g}/${a}/pom.properties`, data: `groupId=${g}\nartifactId=${a}\nversion=${v}\n` });
  const limits = { maxDepth: 3, maxNestedBytes: 1024 * 1024, maxInflatedBytes: 4 * 1024 * 1024, maxMetadataBytes: 64 * 1024 };
  const budget = (): { left: number; skipped: { path: string; reason: string }[] } => ({ left: limits.maxInflatedBytes, skipped: [] });

  async function catalogJars(files: Record<string, Buffer>): Promise<{ pkgs: Package[]; skipped: { path: string; reason: string }[]; created: string[] }> {
    const before = new Set(await readdir(tmpdir()));
    const fs = new ImageFilesystem(contentRules([javaCataloger]));
    await fs.applyLayer(Readable.from([tarOf(files)]), 'sha256:zip');
    try {
      const pkgs = await javaCataloger.catalog({ fs });
      const created = (await readdir(tmpdir())).filter((n) => !before.has(n));
      return { pkgs, skipped: [...fs.skipped], created };
    } finally {
      await fs.dispose();
    }
  }

  test('zip slip: entry names climbing out (../, absolute) are never paths on disk; the archive is reported', async () => {
    const marker = `kscape-zip-slip-${process.pid}.jar`;
    const evil = zipOf([pom('org.ok', 'ok', '1.0'), { name: `../../../../../../${tmpdir().slice(1)}/${marker}`, data: zipOf([pom('org.evil', 'evil', '6.6.6')]) }, { name: '/etc/cron.d/evil', data: '* * * * * root sh' }]);
    const { pkgs, skipped, created } = await catalogJars({ 'app/evil.jar': evil });
    expect(existsSync(join(tmpdir(), marker))).toBe(false);
    expect(created.every((n) => n.startsWith('kscape-sbom-'))).toBe(true);
    expect(pkgs).toEqual([]);
    expect(skipped).toEqual([{ path: 'app/evil.jar', reason: expect.stringMatching(/unreadable archive: .*(relative|absolute)/i) }]);
  });

  test('zip bombs: a nested archive over its cap is not inflated; an entry lying about its size is cut off', async () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024); // deflates to ~8 KiB
    const heapBefore = process.memoryUsage().heapUsed;
    const b1 = budget();
    const big = zipOf([pom('org.a', 'a', '1'), { name: 'BOOT-INF/lib/huge.jar', data: zeros }]);
    expect(big.length).toBeLessThan(64 * 1024);
    expect((await scanJavaArchive(big, '/big.jar', limits, 0, b1)).map((a) => a.artifactId)).toEqual(['a']);
    expect(b1.skipped).toEqual([{ path: '/big.jar:BOOT-INF/lib/huge.jar', reason: expect.stringContaining('8388608 bytes >') }]);
    // Declares 100 bytes, inflates to 8 MiB: yauzl's size validation / our cap stop it early.
    const b2 = budget();
    const liar = zipOf([pom('org.b', 'b', '2'), { name: 'META-INF/maven/x/y/pom.properties', data: zeros, declaredSize: 100 }]);
    expect((await scanJavaArchive(liar, '/liar.jar', limits, 0, b2)).map((a) => a.artifactId)).toEqual(['b']);
    expect(b2.skipped).toEqual([{ path: '/liar.jar:META-INF/maven/x/y/pom.properties', reason: expect.stringMatching(/too many bytes|inflates past|size/i) }]);
    // Many nested archives each under the per-archive cap still share one inflate budget.
    const b3 = budget();
    const part = zipOf([pom('org.p', 'p', '1'), { name: 'pad.bin', data: Buffer.alloc(900 * 1024), method: 'store' }]);
    const many = zipOf(Array.from({ length: 8 }, (_, i) => ({ name: `WEB-INF/lib/p${i}.jar`, data: part })));
    const found = await scanJavaArchive(many, '/many.war', limits, 0, b3);
    expect(found.length).toBeLessThan(8);
    expect(b3.skipped.length).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(128 * 1024 * 1024);
  });

  test('nesting depth: jars nested 6 deep yield the first 3 levels and report the rest', async () => {
    let inner = zipOf([pom('org.l', 'level6', '6')]);
    for (let level = 5; level >= 1; level--) inner = zipOf([pom('org.l', `level${level}`, String(level)), { name: `lib/level${level + 1}.jar`, data: inner }]);
    const b = budget();
    const found = await scanJavaArchive(inner, '/top.jar', limits, 0, b);
    expect(found.map((a) => a.artifactId)).toEqual(['level1', 'level2', 'level3', 'level4']);
    expect(found[3]!.virtualPath).toBe('/top.jar:lib/level2.jar:lib/level3.jar:lib/level4.jar');
    expect(b.skipped).toEqual([{ path: '/top.jar:lib/level2.jar:lib/level3.jar:lib/level4.jar:lib/level5.jar', reason: 'nested deeper than 3 archives' }]);
  });

  test('a corrupt or truncated jar is reported, the rest of the image still catalogs', async () => {
    const good = zipOf([pom('org.good', 'good', '1.0')]);
    const { pkgs, skipped } = await catalogJars({ 'a/good.jar': good, 'a/trunc.jar': good.subarray(0, good.length - 30), 'a/random.jar': Buffer.from('PK\x03\x04 not really a zip') });
    expect(pkgs.map((p) => p.purl)).toEqual(['pkg:maven/org.good/good@1.0']);
    expect(skipped.map((s) => s.path).sort()).toEqual(['a/random.jar', 'a/trunc.jar']);
  });
});
