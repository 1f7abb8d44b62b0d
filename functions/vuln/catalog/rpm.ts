/**
 * rpm cataloger: the rpmdb in its sqlite form (rpm ≥ 4.16: `rpmdb.sqlite`, table Packages(hnum,
 * blob)), its Berkeley DB hash form (`Packages`, RHEL ≤ 8, CentOS 7, Amazon Linux 2) and its ndb
 * form (`Packages.db`, SUSE), under var/lib/rpm and usr/lib/sysimage/rpm; the format is taken
 * from the content (magic), not the name. The SQLite container is read by SQLite itself (sql.js,
 * in wasm, on an in-memory copy); BDB/ndb pages and the rpm header blobs are parsed here, bounded.
 * purls as syft writes them:
 *   pkg:rpm/rhel/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm&distro=rhel-9.3
 * Package.version is `[epoch:]version-release`, the form rpm version comparison works on.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import initSqlJs from 'sql.js';
import type { ContentRule } from '../layers/filesystem.js';
import { bdbHashValues } from './bdb.js';
import { isNdb, ndbBlobs } from './ndb.js';
import { distroQualifier, purl } from './purl.js';
import { parseRpmHeader, type RpmPackageInfo } from './rpmheader.js';
import { location, type CatalogContext, type Cataloger, type Package } from './types.js';

const SQLITE = /^(?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/rpmdb\.sqlite$/;
const BDB = /^(?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/Packages$/;
const NDB = /^(?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/Packages\.db$/;

// 128 MiB: far above real rpmdbs (tens of MiB), and sql.js holds a second copy in wasm memory.
export const rpmRules: ContentRule[] = [{ id: 'rpmdb', match: (p) => SQLITE.test(p) || BDB.test(p) || NDB.test(p), maxBytes: 128 * 1024 * 1024 }];

let wasm: Promise<ArrayBuffer> | undefined;

/**
 * Header blobs of a sqlite rpmdb. A fresh SQLite instance per database: wasm memory only grows,
 * so a shared instance would keep the largest rpmdb ever read resident in a long-running function.
 */
export async function sqliteRpmBlobs(db: Buffer): Promise<Buffer[]> {
  wasm ??= readFile(createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm')).then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  const SQL = await initSqlJs({ wasmBinary: await wasm });
  const d = new SQL.Database(db);
  try {
    const st = d.prepare('SELECT blob FROM Packages');
    const out: Buffer[] = [];
    try {
      while (st.step()) {
        const v = st.get()[0];
        if (v instanceof Uint8Array) out.push(Buffer.from(v.buffer, v.byteOffset, v.length));
      }
    } finally {
      st.free();
    }
    return out;
  } finally {
    d.close();
  }
}

export interface RpmDbResult {
  packages: RpmPackageInfo[];
  /** Headers that failed validation (hostile or corrupt), counted, not fatal. */
  bad: number;
}

export async function readRpmDb(content: Buffer): Promise<RpmDbResult> {
  const blobs =
    content.subarray(0, 16).toString('latin1') === 'SQLite format 3\0' ? await sqliteRpmBlobs(content) : isNdb(content) ? [...ndbBlobs(content)] : [...bdbHashValues(content)];
  const packages: RpmPackageInfo[] = [];
  let bad = 0;
  for (const b of blobs) {
    if (b.length <= 8) continue; // BDB's record 0 holds the next instance number, not a header
    try {
      const p = parseRpmHeader(b);
      if (p) packages.push(p);
    } catch {
      bad++;
    }
  }
  return { packages, bad };
}

export function rpmVersion(p: Pick<RpmPackageInfo, 'epoch' | 'version' | 'release'>): string {
  return `${p.epoch !== undefined ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

export const rpmCataloger: Cataloger = {
  id: 'rpm-db-cataloger',
  rules: rpmRules,
  async catalog(ctx: CatalogContext): Promise<Package[]> {
    const out: Package[] = [];
    const seen = new Set<string>();
    for (const m of ctx.fs.captured('rpmdb')) {
      const content = ctx.fs.read(m.path);
      if (!content) continue;
      let db: RpmDbResult;
      try {
        db = await readRpmDb(content);
      } catch (e) {
        ctx.fs.skipped.push({ path: m.path, reason: `unreadable rpmdb: ${(e as Error).message}` });
        continue;
      }
      if (db.bad) ctx.fs.skipped.push({ path: m.path, reason: `${db.bad} invalid rpm headers` });
      const distro = ctx.distro;
      for (const p of db.packages) {
        const version = rpmVersion(p);
        // usr/lib/sysimage/rpm and var/lib/rpm can be the same DB twice (symlink or copy).
        const key = `${p.name}@${version}.${p.arch ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const src = /^(.+)-([^-]+)-([^-]+)\.src\.rpm$/.exec(p.sourceRpm ?? '');
        out.push({
          name: p.name,
          version,
          type: 'rpm',
          purl: purl('rpm', distro?.id ?? 'redhat', p.name, `${p.version}${p.release ? `-${p.release}` : ''}`, [
            ['arch', p.arch],
            ['epoch', p.epoch !== undefined ? String(p.epoch) : undefined],
            ['upstream', p.sourceRpm],
            ['distro', distroQualifier(distro)],
          ]),
          licenses: p.license ? [p.license] : [],
          locations: [location(ctx, m.path)],
          files: ownedFiles(ctx, p),
          sourceName: src?.[1],
          sourceVersion: src ? `${src[2]}-${src[3]}` : undefined,
          supplier: p.vendor,
          foundBy: 'rpm-db-cataloger',
          metadata: { ...(p.arch ? { arch: p.arch } : {}), ...(p.modularityLabel ? { modularityLabel: p.modularityLabel } : {}) },
        });
      }
    }
    return out;
  },
};

/** Regular files (and symlinks) the header lists that exist in the final image. */
function ownedFiles(ctx: CatalogContext, p: RpmPackageInfo): string[] {
  const files: string[] = [];
  for (let i = 0; i < p.files.length; i++) {
    const f = p.files[i]!;
    const mode = p.modes[i];
    if (mode !== undefined && (mode & 0o170000) === 0o040000) continue;
    const meta = ctx.fs.stat(f.replace(/^\/+/, ''));
    if (!meta || meta.type === 'dir') continue;
    files.push(f.startsWith('/') ? f : `/${f}`);
  }
  return files;
}
