/**
 * apk cataloger: lib/apk/db/installed. Single-letter keys (P name, V version, A arch, L license,
 * o origin, m maintainer, F directory, R file in that directory, c commit). purls as syft writes:
 *   pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&upstream=musl&distro=alpine-3.19.1
 */
import type { ContentRule } from '../layers/filesystem.js';
import { distroQualifier, purl } from './purl.js';
import { location, type CatalogContext, type Cataloger, type Package } from './types.js';

const DB = 'lib/apk/db/installed';

export const apkRules: ContentRule[] = [{ id: 'apk-db', match: (p) => p === DB, maxBytes: 128 * 1024 * 1024 }];

interface ApkRecord {
  fields: Record<string, string>;
  files: string[];
}

export function parseApkDb(text: string): ApkRecord[] {
  const out: ApkRecord[] = [];
  let cur: ApkRecord = { fields: {}, files: [] };
  let dir = '';
  const flush = (): void => {
    if (cur.fields.P) out.push(cur);
    cur = { fields: {}, files: [] };
    dir = '';
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const k = line[0]!;
    if (line[1] !== ':') continue;
    const v = line.slice(2);
    if (k === 'F') dir = v;
    else if (k === 'R') cur.files.push(`/${dir ? `${dir}/` : ''}${v}`);
    else if (!(k in cur.fields)) cur.fields[k] = v;
  }
  flush();
  return out;
}

export const apkCataloger: Cataloger = {
  id: 'apk-db-cataloger',
  rules: apkRules,
  catalog(ctx: CatalogContext): Package[] {
    const text = ctx.fs.readText(DB);
    if (!text) return [];
    const distro = ctx.distro;
    return parseApkDb(text)
      .filter((r) => r.fields.V)
      .map((r) => {
        const f = r.fields;
        const origin = f.o && f.o !== f.P ? f.o : undefined;
        return {
          name: f.P!,
          version: f.V!,
          type: 'apk' as const,
          purl: purl('apk', distro?.id ?? 'alpine', f.P!, f.V, [
            ['arch', f.A],
            ['upstream', origin],
            ['distro', distroQualifier(distro)],
          ]),
          licenses: f.L ? [f.L] : [],
          locations: [location(ctx, DB)],
          files: r.files,
          sourceName: f.o,
          supplier: f.m,
          foundBy: 'apk-db-cataloger',
          metadata: f.A ? { arch: f.A } : undefined,
        };
      });
  },
};
