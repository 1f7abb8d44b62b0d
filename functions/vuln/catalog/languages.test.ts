/**
 * Language catalogers against the truth on this machine: the project's own node_modules vs
 * `npm ls --all --json`, a real site-packages vs Python's importlib.metadata, plus parser units
 * (apk DB, dpkg Source:, os-release, RECORD). The real trees are packed into a tar in memory
 * (package manifests only) and streamed through the same layer code an image goes through.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ImageFilesystem } from '../layers/filesystem.js';
import { apkCataloger, parseApkDb } from './apk.js';
import { contentRules } from './index.js';
import { npmCataloger } from './npm.js';
import { parseOsRelease } from './os.js';
import { parseSource } from './dpkg.js';
import { parseRecord, pythonCataloger } from './python.js';
import type { Cataloger } from './types.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** tar of `files` (relative to cwd) → image filesystem with the given catalogers' rules. */
async function fsFromFiles(cwd: string, files: string[], catalogers: Cataloger[]): Promise<ImageFilesystem> {
  const tar = execFileSync('tar', ['-C', cwd, '-cf', '-', '--null', '-T', '-'], { input: files.join('\0'), maxBuffer: 512 * 1024 * 1024 });
  const fs = new ImageFilesystem(contentRules(catalogers));
  await fs.applyLayer(Readable.from([tar]), 'sha256:test');
  return fs;
}

interface NpmTree {
  name?: string;
  version?: string;
  dependencies?: Record<string, NpmTree>;
}

describe('npm cataloger vs npm ls', () => {
  const hasNpm = (() => {
    try {
      execFileSync('npm', ['--version']);
      return existsSync(join(repo, 'node_modules'));
    } catch {
      return false;
    }
  })();
  test.skipIf(!hasNpm)('every package npm ls --all reports is cataloged with the same version', async () => {
    let out: string;
    try {
      out = execFileSync('npm', ['ls', '--all', '--json'], { cwd: repo, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch (e) {
      out = ((e as { stdout?: Buffer }).stdout ?? Buffer.from('{}')).toString(); // npm exits 1 on extraneous/invalid but still prints
    }
    const truth = new Set<string>();
    const walk = (deps: Record<string, NpmTree> | undefined): void => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        if (d.version) truth.add(`${name}@${d.version}`);
        walk(d.dependencies);
      }
    };
    walk((JSON.parse(out) as NpmTree).dependencies);
    expect(truth.size).toBeGreaterThan(50);
    const files = execFileSync('find', ['node_modules', '-name', 'package.json', '-path', '*node_modules/*/package.json'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 })
      .toString()
      .trim()
      .split('\n');
    const fs = await fsFromFiles(repo, files, [npmCataloger]);
    const found = new Set((npmCataloger.catalog({ fs }) as { name: string; version: string }[]).map((p) => `${p.name}@${p.version}`));
    const missingFromSbom = [...truth].filter((t) => !found.has(t));
    expect(missingFromSbom).toEqual([]);
    // Beyond npm ls we may find installed-but-not-in-the-tree packages (extraneous, fixtures
    // shipped inside packages); they must stay a small minority.
    const extra = [...found].filter((f) => !truth.has(f));
    expect(extra.length).toBeLessThan(found.size * 0.1);
  });
});

describe('python cataloger vs importlib.metadata', () => {
  const site = (() => {
    for (const py of ['python3']) {
      try {
        return execFileSync(py, ['-c', 'import site;print(site.getsitepackages()[0])']).toString().trim();
      } catch {
        /* try the next */
      }
    }
    return undefined;
  })();
  test.skipIf(!site || !existsSync(site))('dist-info/egg-info packages equal importlib.metadata.distributions(path=[site])', async () => {
    const truth = JSON.parse(
      execFileSync('python3', ['-c', `import json,importlib.metadata as m;print(json.dumps(sorted({(d.metadata["Name"], d.version) for d in m.distributions(path=[${JSON.stringify(site)}]) if d.metadata["Name"]})))`]).toString(),
    ) as [string, string][];
    const files = readdirSync(site!)
      .filter((d) => d.endsWith('.dist-info') || d.endsWith('.egg-info'))
      .flatMap((d) => ['METADATA', 'RECORD', 'PKG-INFO'].map((f) => `${d}/${f}`).filter((f) => existsSync(join(site!, f))).concat(existsSync(join(site!, d)) && !readdirSync(site!, { withFileTypes: true }).find((x) => x.name === d)?.isDirectory() ? [d] : []));
    const fs = await fsFromFiles(site!, files, [pythonCataloger]);
    const pkgs = pythonCataloger.catalog({ fs }) as { name: string; version: string; purl: string; files?: string[] }[];
    const found = [...new Set(pkgs.map((p) => JSON.stringify([p.name, p.version])))].map((s) => JSON.parse(s) as [string, string]).sort();
    expect(truth.length).toBeGreaterThan(5);
    expect(found).toEqual(truth.map(([n, v]) => [n, v]).sort());
    const pip = pkgs.find((p) => p.name === 'pip');
    if (pip) {
      expect(pip.purl).toMatch(/^pkg:pypi\/pip@/);
      expect(pip.files?.some((f) => f.endsWith('/pip/__init__.py'))).toBe(true);
    }
  });
});

describe('parsers', () => {
  test('apk installed DB with file lists and origin', async () => {
    const db = 'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nm:Timo <t@alpinelinux.org>\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\n';
    expect(parseApkDb(db)[0]!.files).toEqual(['/lib/ld-musl-x86_64.so.1', '/lib/libc.musl-x86_64.so.1']);
    const tar = execFileSync('tar', ['-cf', '-', '-C', '/', '--files-from', '/dev/null']);
    const fs = new ImageFilesystem(contentRules([apkCataloger]));
    const h = Buffer.alloc(512);
    h.write('lib/apk/db/installed', 0);
    h.write('0000644\0', 100);
    h.write(`${Buffer.byteLength(db).toString(8).padStart(11, '0')}\0`, 124);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const body = Buffer.from(db);
    await fs.applyLayer(Readable.from([Buffer.concat([h, body, Buffer.alloc((512 - (body.length % 512)) % 512), tar])]), 'sha256:apk');
    const pkgs = apkCataloger.catalog({ fs, distro: { id: 'alpine', versionId: '3.19.1' } }) as { purl: string; licenses: string[] }[];
    expect(pkgs.map((p) => p.purl)).toEqual(['pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1', 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1']);
    expect(pkgs[1]!.licenses).toEqual(['Apache-2.0']);
  });

  test('dpkg Source: with and without version; os-release quoting; RECORD quoting', () => {
    expect(parseSource('glibc (2.36-9+deb12u4)')).toEqual({ name: 'glibc', version: '2.36-9+deb12u4' });
    expect(parseSource('util-linux')).toEqual({ name: 'util-linux', version: undefined });
    expect(parseOsRelease('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n# c\n')).toMatchObject({ ID: 'debian', VERSION_ID: '12' });
    expect(parseRecord('pkg/__init__.py,sha256=abc,12\n"odd,name.py",sha256=x,1\npkg-1.0.dist-info/RECORD,,\n')).toEqual(['pkg/__init__.py', 'odd,name.py', 'pkg-1.0.dist-info/RECORD']);
  });
});
