/**
 * Test fixtures of the vuln function: a small Debian-like image (os-release, dpkg status, owned
 * file lists and the files themselves) written as an OCI layout, an OSV fixture DB whose expected
 * matches on that image are known, an OSV all.zip writer (Python's zipfile) and a handler context.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { pack } from 'tar-stream';
import { writeOciLayout } from '../../test/fixtures/images/debian.js';
import type { CatalogEvent } from '../../lib/events/index.js';
import type { FunctionContext } from '../runtime/types.js';

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
Maintainer: Mark Brown <broonie@debian.org>

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Maintainer: Matthias Klose <doko@debian.org>
`;

/** Files each package owns (dpkg .list) and that exist in the image. */
export const OWNED: Record<string, string[]> = {
  libc6: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libm.so.6'],
  libssl3: ['/usr/lib/x86_64-linux-gnu/libssl.so.3'],
  zlib1g: ['/usr/lib/x86_64-linux-gnu/libz.so.1.2.13'],
  bash: ['/usr/bin/bash'],
};

export async function debianLikeLayer(): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((res, rej) => {
    p.on('end', () => res());
    p.on('error', rej);
  });
  const file = (name: string, body: string): void => void p.entry({ name, mode: 0o644 }, body);
  file('etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n');
  file('var/lib/dpkg/status', STATUS);
  for (const [pkg, files] of Object.entries(OWNED)) {
    file(`var/lib/dpkg/info/${pkg}:amd64.list`, ['/.', '/usr', ...files].join('\n') + '\n');
    for (const f of files) file(f.slice(1), `${pkg} ${f}\n`);
  }
  file('app/server', 'not owned by any package\n');
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An OCI layout (tag latest) holding the Debian-like image; returns its directory and manifest digest. */
export async function writeFixtureImage(): Promise<{ dir: string; digest: string; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kscape-vuln-image-'));
  const digest = await writeOciLayout(dir, [{ bytes: await debianLikeLayer() }]);
  return { dir, digest, close: () => rmSync(dir, { recursive: true, force: true }) };
}

const T = '2024-01-01T00:00:00Z';
export const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
export const V31_HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H';

/**
 * Fixture OSV records. On the fixture image exactly two findings are expected: glibc
 * CVE-2024-0001 (High, not fixed) on libc6 and openssl CVE-2023-5678 (Critical, fixed in
 * 3.0.11-1~deb12u2; reported by two sources that alias each other) on libssl3. zlib's advisory is
 * fixed before the installed version, bash's is for another release, one record is withdrawn.
 */
export const FIXTURE_OSV: Record<string, unknown>[] = [
  {
    id: 'DEBIAN-CVE-2024-0001',
    modified: T,
    aliases: ['CVE-2024-0001'],
    summary: 'glibc: no fix yet',
    severity: [{ type: 'CVSS_V3', score: V31_HIGH }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
  },
  {
    id: 'DEBIAN-CVE-2023-5678',
    modified: T,
    aliases: ['CVE-2023-5678'],
    summary: 'openssl: DH checks are slow',
    severity: [{ type: 'CVSS_V3', score: V31_CRIT }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }] }],
  },
  {
    id: 'DSA-5532-1',
    modified: T,
    aliases: ['CVE-2023-5678'],
    summary: 'openssl security update',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }] }],
  },
  {
    id: 'DEBIAN-CVE-2022-37434',
    modified: T,
    aliases: ['CVE-2022-37434'],
    summary: 'zlib: heap overflow (fixed before the installed version)',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.11.dfsg-4.1' }] }] }],
  },
  {
    id: 'DEBIAN-CVE-2019-18276',
    modified: T,
    aliases: ['CVE-2019-18276'],
    summary: 'bash: only in Debian 11',
    affected: [{ package: { ecosystem: 'Debian:11', name: 'bash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
  },
  {
    id: 'DEBIAN-CVE-2020-0001',
    modified: T,
    withdrawn: T,
    aliases: ['CVE-2020-0001'],
    summary: 'withdrawn glibc record',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
  },
];

/** A later DB: zlib now affected up to a newer fix (a third finding, Medium by rating word). */
export const FIXTURE_OSV_UPDATE: Record<string, unknown>[] = [
  {
    id: 'DEBIAN-CVE-2023-45853',
    modified: '2024-06-01T00:00:00Z',
    aliases: ['CVE-2023-45853'],
    summary: 'zlib: MiniZip integer overflow',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'zlib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.3.dfsg-1' }] }],
        ecosystem_specific: { urgency: 'medium' },
        database_specific: { severity: 'Medium' },
      },
    ],
  },
];

export async function* records(list: readonly unknown[]): AsyncGenerator<unknown> {
  yield* list;
}

/** OSV all.zip (one <id>.json per entry), written with Python's zipfile. */
export function writeOsvZip(path: string, list: readonly Record<string, unknown>[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'osv-zip-'));
  try {
    writeFileSync(join(dir, 'records.json'), JSON.stringify(list));
    execFileSync('python3', [
      '-c',
      'import json, sys, zipfile\nrecs = json.load(open(sys.argv[1]))\nwith zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:\n  for r in recs: z.writestr(r["id"] + ".json", json.dumps(r))\n',
      join(dir, 'records.json'),
      path,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A handler context that records emitted events. */
export function testContext(signal: AbortSignal = new AbortController().signal): FunctionContext & { emitted: CatalogEvent[] } {
  const emitted: CatalogEvent[] = [];
  return {
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    signal,
    source: '/kscape/vuln',
    emitted,
    emit: async (e) => {
      emitted.push(e);
    },
  };
}
