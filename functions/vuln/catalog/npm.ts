/**
 * npm cataloger: installed packages, i.e. `node_modules/<name>/package.json` and
 * `node_modules/@scope/<name>/package.json` at any depth (what `npm ls --all` reports), plus
 * `package-lock.json` v2/v3 next to a node_modules tree to fill in packages whose package.json
 * was not in the image (lock entries are only used for paths not already found installed).
 */
import type { ContentRule } from '../layers/filesystem.js';
import { purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';

const PKG_JSON = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@][^/]*\/package\.json$/;
const LOCK = /(?:^|\/)package-lock\.json$/;

export const npmRules: ContentRule[] = [
  { id: 'npm-package', match: (p) => PKG_JSON.test(p), maxBytes: 4 * 1024 * 1024 },
  { id: 'npm-lock', match: (p) => LOCK.test(p) && !p.includes('/node_modules/'), maxBytes: 64 * 1024 * 1024 },
];

export function npmLicenses(j: Record<string, unknown>): string[] {
  const out: string[] = [];
  const one = (v: unknown): void => {
    if (typeof v === 'string' && v) out.push(v);
    else if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') out.push((v as { type: string }).type);
  };
  one(j.license);
  if (Array.isArray(j.licenses)) j.licenses.forEach(one);
  return out;
}

export function npmPurl(name: string, version: string): string {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return slash > 0 ? purl('npm', name.slice(0, slash), name.slice(slash + 1), version) : purl('npm', undefined, name, version);
}

function parse(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const j: unknown = JSON.parse(text);
    return j && typeof j === 'object' && !Array.isArray(j) ? (j as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const npmCataloger: Cataloger = {
  id: 'javascript-package-cataloger',
  rules: npmRules,
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    const seenDirs = new Set<string>();
    for (const m of ctx.fs.captured('npm-package')) {
      const j = parse(ctx.fs.readText(m.path));
      if (!j || typeof j.name !== 'string' || typeof j.version !== 'string' || !j.name || !j.version) continue;
      seenDirs.add(m.path.slice(0, -'/package.json'.length));
      out.push({
        name: j.name,
        version: j.version,
        type: 'npm',
        purl: npmPurl(j.name, j.version),
        licenses: npmLicenses(j),
        locations: [location(ctx, m.path)],
        foundBy: 'javascript-package-cataloger',
        metadata: typeof j.homepage === 'string' ? { homepage: j.homepage } : undefined,
      });
    }
    for (const m of ctx.fs.captured('npm-lock')) {
      const lock = parse(ctx.fs.readText(m.path));
      const pkgs = lock?.packages;
      if (!pkgs || typeof pkgs !== 'object') continue;
      const base = m.path.includes('/') ? m.path.slice(0, m.path.lastIndexOf('/') + 1) : '';
      for (const [rel, v] of Object.entries(pkgs as Record<string, unknown>)) {
        if (!rel.startsWith('node_modules/') && !rel.includes('/node_modules/')) continue;
        const e = v as Record<string, unknown>;
        if (e.link === true || typeof e.version !== 'string') continue;
        const dir = `${base}${rel}`;
        if (seenDirs.has(dir)) continue;
        // Only packages the image actually contains: the lock lists optional/other-platform ones too.
        if (!ctx.fs.stat(dir)) continue;
        const name = typeof e.name === 'string' ? e.name : rel.slice(rel.lastIndexOf('node_modules/') + 'node_modules/'.length);
        seenDirs.add(dir);
        out.push({
          name,
          version: e.version,
          type: 'npm',
          purl: npmPurl(name, e.version),
          licenses: typeof e.license === 'string' ? [e.license] : [],
          locations: [{ ...location(ctx, m.path), path: abs(m.path) }],
          foundBy: 'javascript-lock-cataloger',
        });
      }
    }
    return out;
  },
};
