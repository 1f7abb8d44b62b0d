/**
 * Java cataloger against real jars: Maven's own lib/ on this machine (Debian's maven package), with
 * `unzip` as the oracle for each jar's pom.properties and MANIFEST.MF. Nested archives are real
 * jars packed with the `zip` CLI into a war and a Spring-Boot-style fat jar.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { ImageFilesystem } from '../layers/filesystem.js';
import { contentRules } from './index.js';
import { javaCataloger, nameFromFile, parseManifest, parseProperties, scanJavaArchive } from './java.js';
import { tarOf } from './testing.js';
import type { Package } from './types.js';

const LIB = '/usr/share/maven/lib';
const has = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const ready = existsSync(LIB) && has('unzip') && has('zip');
const jars = ready ? readdirSync(LIB).filter((f) => f.endsWith('.jar')) : [];
const work = mkdtempSync(join(tmpdir(), 'kscape-java-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** unzip's view of a jar: the coordinates of every pom.properties in it. */
function truthOf(jar: string): string[] {
  const names = execFileSync('unzip', ['-Z1', jar]).toString().split('\n');
  return names
    .filter((n) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(n))
    .map((n) => {
      const p = parseProperties(execFileSync('unzip', ['-p', jar, n]).toString());
      return `${p.groupId}:${p.artifactId}:${p.version}`;
    });
}

async function catalog(files: Record<string, Buffer>): Promise<{ pkgs: Package[]; fs: ImageFilesystem }> {
  const fs = new ImageFilesystem(contentRules([javaCataloger]));
  await fs.applyLayer(Readable.from([tarOf(files)]), 'sha256:javalayer');
  try {
    return { pkgs: await javaCataloger.catalog({ fs }), fs };
  } finally {
    await fs.dispose();
  }
}
const coords = (ps: Package[]): string[] => ps.map((p) => `${p.metadata!.groupId}:${p.name}:${p.version}`).sort();

describe.skipIf(!ready)('java cataloger vs unzip on Maven’s jars', () => {
  test('every pom.properties in every jar of /usr/share/maven/lib is a package with its coordinates', async () => {
    const truth = jars.flatMap((j) => truthOf(join(LIB, j))).sort();
    expect(truth.length).toBeGreaterThan(30);
    const files = Object.fromEntries(jars.map((j) => [`usr/share/maven/lib/${j}`, readFileSync(realpathSync(join(LIB, j)))]));
    const { pkgs } = await catalog(files);
    const fromPom = pkgs.filter((p) => p.metadata?.source === 'pom.properties');
    expect(coords(fromPom)).toEqual(truth);
    const guava = pkgs.find((p) => p.name === 'guava')!;
    expect(guava.purl).toBe(`pkg:maven/com.google.guava/guava@${guava.version}`);
    expect(guava.locations).toEqual([{ path: '/usr/share/maven/lib/guava.jar', layerDigest: 'sha256:javalayer' }]);
  });

  test('jars without pom.properties fall back to MANIFEST.MF (Bundle-SymbolicName / -Version)', async () => {
    const bare = jars.filter((j) => truthOf(join(LIB, j)).length === 0);
    for (const j of bare) {
      const mf = parseManifest(execFileSync('unzip', ['-p', join(LIB, j), 'META-INF/MANIFEST.MF']).toString());
      const version = mf['Implementation-Version'] || mf['Bundle-Version'] || nameFromFile(j).version;
      const found = await scanJavaArchive(realpathSync(join(LIB, j)), `/${j}`);
      if (!version) expect(found).toEqual([]);
      else expect(found.map((f) => [f.version, f.source])).toEqual([[version, 'manifest']]);
    }
    expect(bare.length).toBeGreaterThan(0);
  });

  test('nested: jars in a war, a fat jar in an ear, with virtual paths; depth beyond the limit is reported', async () => {
    const pick = ['commons-io.jar', 'commons-lang3.jar', 'slf4j-api.jar'].filter((j) => jars.includes(j));
    expect(pick.length).toBe(3);
    const lib = join(work, 'war/WEB-INF/lib');
    mkdirSync(lib, { recursive: true });
    for (const j of pick) copyFileSync(realpathSync(join(LIB, j)), join(lib, j));
    execFileSync('zip', ['-qr', '../app.war', 'WEB-INF'], { cwd: join(work, 'war') });
    // fat jar: BOOT-INF/lib/app.war (depth 2 for the jars inside)
    mkdirSync(join(work, 'fat/BOOT-INF/lib'), { recursive: true });
    copyFileSync(join(work, 'app.war'), join(work, 'fat/BOOT-INF/lib/app.war'));
    execFileSync('zip', ['-qr', '../fat.jar', 'BOOT-INF'], { cwd: join(work, 'fat') });
    const truth = pick.flatMap((j) => truthOf(join(LIB, j))).sort();

    const { pkgs } = await catalog({ 'srv/app.war': readFileSync(join(work, 'app.war')), 'srv/fat.jar': readFileSync(join(work, 'fat.jar')) });
    const inWar = pkgs.filter((p) => p.locations[0]!.path === '/srv/app.war');
    const inFat = pkgs.filter((p) => p.locations[0]!.path === '/srv/fat.jar');
    expect(coords(inWar)).toEqual(truth);
    expect(coords(inFat)).toEqual(truth);
    expect(inFat.map((p) => p.metadata!.virtualPath).sort()).toEqual(pick.map((j) => `/srv/fat.jar:BOOT-INF/lib/app.war:WEB-INF/lib/${j}`).sort());

    const shallow = { maxDepth: 1, maxNestedBytes: 64 << 20, maxInflatedBytes: 512 << 20, maxMetadataBytes: 1 << 20 };
    const budget = { left: shallow.maxInflatedBytes, skipped: [] as { path: string; reason: string }[] };
    expect(await scanJavaArchive(join(work, 'fat.jar'), '/fat.jar', shallow, 0, budget)).toEqual([]);
    expect(budget.skipped.map((s) => s.reason)).toEqual(pick.map(() => 'nested deeper than 1 archives'));
  });
});
