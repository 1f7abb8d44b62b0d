/**
 * PHP Composer: `vendor/composer/installed.json`, Composer 1 (a JSON array of packages) and
 * Composer 2 (`{"packages": [...], "dev": …, "dev-package-names": [...]}`). purls:
 * pkg:composer/<vendor>/<name>@<version>, version as Composer recorded it (`v5.4.0` stays).
 */
import type { ContentRule } from '../layers/filesystem.js';
import { purl } from './purl.js';
import { location, type CatalogContext, type Cataloger, type Package } from './types.js';

const INSTALLED = /(?:^|\/)vendor\/composer\/installed\.json$/;

export const composerRules: ContentRule[] = [{ id: 'composer-installed', match: (p) => INSTALLED.test(p), maxBytes: 32 * 1024 * 1024 }];

export interface ComposerPackage {
  name: string;
  version: string;
  licenses: string[];
  dev: boolean;
  type?: string;
  authors?: string;
}

export function parseInstalledJson(text: string): ComposerPackage[] {
  const doc: unknown = JSON.parse(text);
  const list: unknown = Array.isArray(doc) ? doc : (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) return [];
  const devNames = new Set(Array.isArray((doc as { 'dev-package-names'?: unknown })['dev-package-names']) ? ((doc as { 'dev-package-names': unknown[] })['dev-package-names'].filter((x) => typeof x === 'string') as string[]) : []);
  const out: ComposerPackage[] = [];
  for (const p of list as unknown[]) {
    if (!p || typeof p !== 'object') continue;
    const r = p as Record<string, unknown>;
    if (typeof r.name !== 'string' || typeof r.version !== 'string' || !r.name.includes('/')) continue;
    const lic = Array.isArray(r.license) ? r.license.filter((l): l is string => typeof l === 'string') : typeof r.license === 'string' ? [r.license] : [];
    const authors = Array.isArray(r.authors) ? r.authors.map((a) => (a && typeof a === 'object' && typeof (a as { name?: unknown }).name === 'string' ? (a as { name: string }).name : '')).filter(Boolean) : [];
    out.push({ name: r.name, version: r.version, licenses: lic, dev: devNames.has(r.name), type: typeof r.type === 'string' ? r.type : undefined, authors: authors.join(', ') || undefined });
  }
  return out;
}

export const composerCataloger: Cataloger = {
  id: 'php-composer-installed-cataloger',
  rules: composerRules,
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    for (const m of ctx.fs.captured('composer-installed')) {
      let pkgs: ComposerPackage[];
      try {
        pkgs = parseInstalledJson(ctx.fs.readText(m.path) ?? '');
      } catch {
        ctx.fs.skipped.push({ path: m.path, reason: 'invalid JSON' });
        continue;
      }
      for (const p of pkgs) {
        const [vendor, ...rest] = p.name.split('/');
        out.push({
          name: p.name,
          version: p.version,
          type: 'php-composer',
          purl: purl('composer', vendor, rest.join('/'), p.version),
          licenses: p.licenses,
          locations: [location(ctx, m.path)],
          supplier: p.authors,
          foundBy: 'php-composer-installed-cataloger',
          metadata: { ...(p.type ? { type: p.type } : {}), ...(p.dev ? { dev: 'true' } : {}) },
        });
      }
    }
    return out;
  },
};
