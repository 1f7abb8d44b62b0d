/**
 * Python installed packages: `*.dist-info/METADATA` (+ RECORD for owned files), `*.egg-info/PKG-INFO`
 * and single-file `*.egg-info`. Names in purls are normalised per PEP 503 / purl-spec
 * (lower-case, runs of `-_.` → `-`).
 */
import type { ContentRule } from '../layers/filesystem.js';
import { purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';

const METADATA = /(?:^|\/)[^/]+\.dist-info\/METADATA$/;
const RECORD = /(?:^|\/)[^/]+\.dist-info\/RECORD$/;
const PKG_INFO = /(?:^|\/)[^/]+\.egg-info\/PKG-INFO$/;
const EGG_FILE = /(?:^|\/)[^/]+\.egg-info$/;

export const pythonRules: ContentRule[] = [
  { id: 'python-metadata', match: (p) => METADATA.test(p) || PKG_INFO.test(p) || EGG_FILE.test(p), maxBytes: 4 * 1024 * 1024 },
  { id: 'python-record', match: (p) => RECORD.test(p), maxBytes: 16 * 1024 * 1024 },
];

/** RFC 822-style headers up to the first blank line (the rest is the long description). */
export function parseMetadata(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      const arr = out.get(last)!;
      arr[arr.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim().toLowerCase();
    const arr = out.get(last) ?? [];
    arr.push(line.slice(i + 1).trim());
    out.set(last, arr);
  }
  return out;
}

export const normalisePythonName = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');

function licenses(md: Map<string, string[]>): string[] {
  const expr = md.get('license-expression')?.[0];
  if (expr) return [expr];
  const lic = md.get('license')?.[0];
  // Some projects paste the whole license text into License:; keep only short values.
  if (lic && lic !== 'UNKNOWN' && lic.length <= 100 && !lic.includes('\n')) return [lic];
  const cls = (md.get('classifier') ?? []).filter((c) => c.startsWith('License ::')).map((c) => c.split('::').pop()!.trim());
  return cls.length ? cls : [];
}

/** RECORD is CSV: path,hash,size — paths relative to the site-packages dir; quoted when needed. */
export function parseRecord(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    let path: string;
    if (line.startsWith('"')) {
      const end = line.indexOf('",');
      path = (end > 0 ? line.slice(1, end) : line.slice(1)).replace(/""/g, '"');
    } else path = line.split(',')[0]!;
    if (path) out.push(path);
  }
  return out;
}

export const pythonCataloger: Cataloger = {
  id: 'python-installed-package-cataloger',
  rules: pythonRules,
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    for (const m of ctx.fs.captured('python-metadata')) {
      const text = ctx.fs.readText(m.path);
      if (!text) continue;
      const md = parseMetadata(text);
      const name = md.get('name')?.[0];
      const version = md.get('version')?.[0];
      if (!name || !version) continue;
      let files: string[] | undefined;
      if (METADATA.test(m.path)) {
        const infoDir = m.path.slice(0, m.path.lastIndexOf('/'));
        const siteDir = infoDir.includes('/') ? infoDir.slice(0, infoDir.lastIndexOf('/')) : '';
        const record = ctx.fs.readText(`${infoDir}/RECORD`);
        if (record) {
          files = parseRecord(record).map((f) => {
            const joined = `${siteDir}/${f}`.split('/');
            const norm: string[] = [];
            for (const p of joined) {
              if (p === '..') norm.pop();
              else if (p && p !== '.') norm.push(p);
            }
            return abs(norm.join('/'));
          });
        }
      }
      out.push({
        name,
        version,
        type: 'python',
        purl: purl('pypi', undefined, normalisePythonName(name), version),
        licenses: licenses(md),
        locations: [location(ctx, m.path)],
        files,
        supplier: md.get('author')?.[0],
        foundBy: 'python-installed-package-cataloger',
      });
    }
    return out;
  },
};
