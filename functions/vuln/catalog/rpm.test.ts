/**
 * rpm cataloger against rpm itself: packages built with `rpmbuild`, registered with
 * `rpm -i --justdb` in a fresh sqlite rpmdb; the oracle is `rpm -qa --qf` on that DB. The
 * Berkeley DB form is written by Berkeley DB's own `db5.3_load` from the same header blobs (this
 * rpm can only write sqlite DBs), and read back by rpm's read-only BDB backend (`bdb_ro`) as the
 * oracle for that format.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { ImageFilesystem } from '../layers/filesystem.js';
import { BdbError, bdbHashValues } from './bdb.js';
import { contentRules } from './index.js';
import { NdbError, ndbBlobs } from './ndb.js';
import { detectDistro } from './os.js';
import { readRpmDb, rpmCataloger, sqliteRpmBlobs } from './rpm.js';
import { RpmHeaderError, parseRpmHeader } from './rpmheader.js';
import { tarOf } from './testing.js';

const has = (cmd: string, arg = '--version'): boolean => {
  try {
    execFileSync(cmd, [arg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const canBuild = has('rpmbuild') && has('rpm');
const hasDbLoad = has('db5.3_load', '-V');

const work = mkdtempSync(join(tmpdir(), 'kscape-rpm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPECS = {
  'kscape-hello': `Name: kscape-hello
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: t
License: MIT and (GPL-2.0-or-later OR Apache-2.0)
Vendor: Kscape Test
BuildArch: noarch
%description
t
%install
mkdir -p %{buildroot}/usr/share/kscape-hello %{buildroot}/usr/bin
echo hi > %{buildroot}/usr/share/kscape-hello/a.txt
printf '#!/bin/sh\\n' > %{buildroot}/usr/bin/kscape-hello
%files
/usr/share/kscape-hello
/usr/bin/kscape-hello
`,
  'libkscape': `Name: libkscape
Version: 0.9
Release: 1
Summary: t
License: BSD-3-Clause
BuildArch: noarch
%description
t
%install
mkdir -p %{buildroot}/usr/lib/kscape
for i in 1 2 3; do echo $i > %{buildroot}/usr/lib/kscape/f$i.so; done
%files
/usr/lib/kscape
`,
};

interface Truth {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  license: string;
  files: string[];
}

/** Build the rpms and an rpmdb (once); returns the db dir and rpm's own view of it. */
function buildDb(): { dbPath: string; truth: Truth[] } {
  const top = join(work, 'top');
  const rpms: string[] = [];
  for (const [name, spec] of Object.entries(SPECS)) {
    const f = join(work, `${name}.spec`);
    writeFileSync(f, spec);
    execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', f], { stdio: 'ignore' });
  }
  for (const l of execFileSync('find', [join(top, 'RPMS'), '-name', '*.rpm']).toString().trim().split('\n')) rpms.push(l);
  const dbPath = join(work, 'db');
  execFileSync('rpm', ['--initdb', '--dbpath', dbPath]);
  execFileSync('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', '--dbpath', dbPath, ...rpms], { stdio: 'ignore' });
  const truth = rpmQuery(dbPath);
  return { dbPath, truth };
}

/** `rpm -qa` on a DB directory: what rpm itself reads from it. */
function rpmQuery(dbPath: string, backend?: string): Truth[] {
  const SEP = '\u0001';
  const qf = `%{NAME}${SEP}%{EPOCH}${SEP}%{VERSION}${SEP}%{RELEASE}${SEP}%{ARCH}${SEP}%{SOURCERPM}${SEP}%{LICENSE}${SEP}[%{FILENAMES}\\t]\\n`;
  const args = ['-qa', '--dbpath', dbPath, ...(backend ? ['--define', `_db_backend ${backend}`] : []), '--qf', qf];
  const out = execFileSync('rpm', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n');
  return out.map((l) => {
    const [name, epoch, version, release, arch, sourceRpm, license, files] = l.split(SEP) as [string, string, string, string, string, string, string, string];
    return { name, epoch: epoch === '(none)' ? undefined : Number(epoch), version, release, arch, sourceRpm, license, files: files.split('\t').filter(Boolean) };
  });
}

/** db_dump "bytevalue" text → db5.3_load → a real Berkeley DB hash file. */
function writeBdb(blobs: Buffer[], pageSize: number): Buffer {
  const lines = ['VERSION=3', 'format=bytevalue', 'type=hash', `db_pagesize=${pageSize}`, 'HEADER=END'];
  const key = (n: number): string => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b.toString('hex');
  };
  lines.push(` ${key(0)}`, ` ${key(blobs.length + 1)}`); // rpm's "next instance" record
  blobs.forEach((b, i) => lines.push(` ${key(i + 1)}`, ` ${b.toString('hex')}`));
  lines.push('DATA=END', '');
  const dump = join(work, `dump-${pageSize}.txt`);
  const out = join(work, `Packages-${pageSize}`);
  writeFileSync(dump, lines.join('\n'));
  execFileSync('db5.3_load', ['-f', dump, out]);
  return readFileSync(out);
}

/**
 * An ndb Packages.db laid out as rpm's rpmpkg.c writes it (this rpm has no ndb backend, so the
 * file is built here from the documented layout, with the real header blobs).
 */
function writeNdb(blobs: Buffer[]): Buffer {
  const slotPage = Buffer.alloc(4096);
  slotPage.write('RpmP', 0, 'latin1');
  slotPage.writeUInt32LE(0, 4); // version
  slotPage.writeUInt32LE(7, 8); // generation
  slotPage.writeUInt32LE(1, 12); // slot pages
  slotPage.writeUInt32LE(blobs.length + 1, 16); // next package index
  for (let o = 32; o < 4096; o += 16) slotPage.write('Slot', o, 'latin1');
  const data: Buffer[] = [];
  let blk = 4096 / 16;
  blobs.forEach((b, i) => {
    const head = Buffer.alloc(16);
    head.write('BlbS', 0, 'latin1');
    head.writeUInt32LE(i + 1, 4);
    head.writeUInt32LE(7, 8);
    head.writeUInt32LE(b.length, 12);
    const tail = Buffer.alloc(12);
    tail.writeUInt32LE(b.length, 4);
    tail.write('BlbE', 8, 'latin1');
    const raw = Buffer.concat([head, b, tail]);
    const blocks = Math.ceil(raw.length / 16);
    const o = 32 + (i + 1) * 16; // slot 0 is free: skipped by readers
    slotPage.writeUInt32LE(i + 1, o + 4);
    slotPage.writeUInt32LE(blk, o + 8);
    slotPage.writeUInt32LE(blocks, o + 12);
    data.push(raw, Buffer.alloc(blocks * 16 - raw.length));
    blk += blocks;
  });
  return Buffer.concat([slotPage, ...data]);
}

const sorted = <T extends { name: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.name.localeCompare(b.name));

describe.skipIf(!canBuild)('rpmdb against rpm -qa', () => {
  const { dbPath, truth } = canBuild ? buildDb() : { dbPath: '', truth: [] };
  const sqlite = canBuild ? readFileSync(join(dbPath, 'rpmdb.sqlite')) : Buffer.alloc(0);

  test('sqlite rpmdb: name, epoch, version, release, arch, sourcerpm, license, file list equal rpm -qa', async () => {
    expect(truth.length).toBe(2);
    const { packages, bad } = await readRpmDb(sqlite);
    expect(bad).toBe(0);
    expect(sorted(packages).map(({ name, epoch, version, release, arch, sourceRpm, license, files }) => ({ name, epoch, version, release, arch, sourceRpm, license, files }))).toEqual(sorted(truth));
  });

  test.skipIf(!hasDbLoad)('Berkeley DB hash Packages (inline and overflow-page values) equals rpm -qa with the bdb_ro backend', async () => {
    const blobs = await sqliteRpmBlobs(sqlite);
    for (const pageSize of [512, 8192]) {
      const db = writeBdb(blobs, pageSize);
      const dir = join(work, `bdb-${pageSize}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'Packages'), db);
      const bdbTruth = rpmQuery(dir, 'bdb_ro');
      expect(sorted(bdbTruth)).toEqual(sorted(truth));
      const { packages } = await readRpmDb(db);
      expect(sorted(packages).map(({ name, epoch, version, release, arch, sourceRpm, license, files }) => ({ name, epoch, version, release, arch, sourceRpm, license, files }))).toEqual(sorted(bdbTruth));
    }
  });

  test('ndb Packages.db (SUSE) built from the same header blobs gives rpm -qa\'s packages', async () => {
    const { packages, bad } = await readRpmDb(writeNdb(await sqliteRpmBlobs(sqlite)));
    expect(bad).toBe(0);
    expect(sorted(packages).map(({ name, epoch, version, release, arch, sourceRpm, license, files }) => ({ name, epoch, version, release, arch, sourceRpm, license, files }))).toEqual(sorted(truth));
  });

  test('cataloger in an image: purls with epoch/upstream/distro, owned files present in the image, layer', async () => {
    const layer = tarOf({
      'etc/os-release': 'ID="rhel"\nVERSION_ID="9.3"\n',
      'var/lib/rpm/rpmdb.sqlite': sqlite,
      'usr/bin/kscape-hello': '#!/bin/sh\n',
      'usr/share/kscape-hello/a.txt': 'hi\n',
      'usr/lib/kscape/f1.so': '1',
    });
    const fs = new ImageFilesystem(contentRules([rpmCataloger]));
    await fs.applyLayer(Readable.from([layer]), 'sha256:rpmlayer');
    const pkgs = sorted(await rpmCataloger.catalog({ fs, distro: detectDistro(fs) }));
    expect(pkgs.map((p) => p.purl)).toEqual([
      'pkg:rpm/rhel/kscape-hello@1.2.3-4.el9?arch=noarch&epoch=2&upstream=kscape-hello-1.2.3-4.el9.src.rpm&distro=rhel-9.3',
      'pkg:rpm/rhel/libkscape@0.9-1?arch=noarch&upstream=libkscape-0.9-1.src.rpm&distro=rhel-9.3',
    ]);
    expect(pkgs[0]).toMatchObject({
      version: '2:1.2.3-4.el9',
      licenses: ['MIT and (GPL-2.0-or-later OR Apache-2.0)'],
      sourceName: 'kscape-hello',
      sourceVersion: '1.2.3-4.el9',
      supplier: 'Kscape Test',
      locations: [{ path: '/var/lib/rpm/rpmdb.sqlite', layerDigest: 'sha256:rpmlayer' }],
      files: ['/usr/bin/kscape-hello', '/usr/share/kscape-hello/a.txt'],
    });
    expect(pkgs[1]!.files).toEqual(['/usr/lib/kscape/f1.so']); // f2, f3 are not in this image
  });

  test('a corrupt header is counted and skipped; the other packages still come out', async () => {
    const blobs = await sqliteRpmBlobs(sqlite);
    const broken = Buffer.from(blobs[0]!);
    broken.writeUInt32BE(0x7fffffff, 8 + 8); // first index entry's offset far outside the data
    expect(() => parseRpmHeader(broken)).toThrow(RpmHeaderError);
    if (!hasDbLoad) return;
    const { packages, bad } = await readRpmDb(writeBdb([broken, blobs[1]!], 512));
    expect(bad).toBe(1);
    expect(packages.length).toBe(1);
  });
});

describe('hostile rpm inputs', () => {
  test('header preamble lies: huge counts, truncated data, unterminated strings', () => {
    const h = Buffer.alloc(8 + 16 + 4);
    h.writeUInt32BE(1, 0);
    h.writeUInt32BE(4, 4);
    h.writeUInt32BE(1000, 8); // NAME
    h.writeUInt32BE(6, 12); // STRING
    h.writeUInt32BE(0, 16);
    h.writeUInt32BE(1, 20);
    h.write('abcd', 24); // no NUL
    expect(() => parseRpmHeader(h)).toThrow(/unterminated/);
    const huge = Buffer.from(h);
    huge.writeUInt32BE(0x10000000, 0);
    expect(() => parseRpmHeader(huge)).toThrow(RpmHeaderError);
    expect(() => parseRpmHeader(h.subarray(0, 20))).toThrow(/truncated/);
  });

  test('ndb: slots pointing outside the file or at a foreign blob, absurd slot page counts', () => {
    const blob = Buffer.alloc(64, 1);
    const good = writeNdb([blob]);
    expect([...ndbBlobs(good)]).toEqual([blob]);
    const outside = Buffer.from(good);
    outside.writeUInt32LE(0xffffff, 48 + 8);
    expect(() => [...ndbBlobs(outside)]).toThrow(/outside the file/);
    const foreign = Buffer.from(good);
    foreign.writeUInt32LE(9, 4096 + 4);
    expect(() => [...ndbBlobs(foreign)]).toThrow(/bad blob header/);
    const long = Buffer.from(good);
    long.writeUInt32LE(10_000, 4096 + 12);
    expect(() => [...ndbBlobs(long)]).toThrow(/overruns/);
    const pages = Buffer.from(good);
    pages.writeUInt32LE(1_000_000, 12);
    expect(() => [...ndbBlobs(pages)]).toThrow(NdbError);
  });

  test('BDB: bad magic, overflow chain loop, items outside the page', () => {
    expect(() => [...bdbHashValues(Buffer.alloc(4096))]).toThrow(BdbError);
    const ps = 512;
    const db = Buffer.alloc(ps * 3);
    db.writeUInt32LE(0x061561, 12);
    db.writeUInt32LE(ps, 20);
    db.writeUInt32LE(2, 32); // last page
    // page 1: hash page with one key/off-page-data pair pointing at page 2
    const p1 = ps;
    db[p1 + 25] = 13;
    db.writeUInt16LE(2, p1 + 20);
    db.writeUInt16LE(ps - 8, p1 + 26); // key item
    db.writeUInt16LE(ps - 20, p1 + 28); // data item
    db[p1 + ps - 8] = 1;
    db[p1 + ps - 20] = 3;
    db.writeUInt32LE(2, p1 + ps - 20 + 4);
    db.writeUInt32LE(10_000, p1 + ps - 20 + 8);
    // page 2: overflow page whose next page is itself
    const p2 = ps * 2;
    db[p2 + 25] = 7;
    db.writeUInt16LE(100, p2 + 22);
    db.writeUInt32LE(2, p2 + 16);
    expect(() => [...bdbHashValues(db)]).toThrow(/overflow chain/);
    db.writeUInt32LE(2 ** 31, p1 + ps - 20 + 8); // a 2 GiB value
    expect(() => [...bdbHashValues(db)]).toThrow(/exceeds the cap/);
    db.writeUInt16LE(ps + 100, p1 + 28);
    expect(() => [...bdbHashValues(db)]).toThrow(/out of bounds/);
  });
});
