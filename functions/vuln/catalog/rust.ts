/**
 * Rust binaries built with cargo-auditable: the `.dep-v0` ELF section holds zlib-compressed JSON
 *   {"packages":[{"name","version","source":"crates.io"|"local"|"git"|…,"kind":"build"|"runtime",
 *                 "dependencies":[indexes],"root":true?}]}
 * The layer walker keeps that section of every executable ELF (layers/executable.ts). Inflation is
 * capped (a hostile section is a zip bomb like any other). purls: pkg:cargo/<name>@<version>.
 */
import { inflateSync } from 'node:zlib';
import { purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';

const MAX_JSON = 16 * 1024 * 1024;

export interface AuditableCrate {
  name: string;
  version: string;
  source: string;
  kind: string;
  root: boolean;
}

export function parseAuditable(section: Buffer): AuditableCrate[] {
  const json = inflateSync(section, { maxOutputLength: MAX_JSON });
  const doc: unknown = JSON.parse(json.toString('utf8'));
  const pkgs = (doc as { packages?: unknown }).packages;
  if (!Array.isArray(pkgs)) throw new Error('.dep-v0 without a packages array');
  const out: AuditableCrate[] = [];
  for (const p of pkgs as unknown[]) {
    if (!p || typeof p !== 'object') continue;
    const r = p as Record<string, unknown>;
    if (typeof r.name !== 'string' || typeof r.version !== 'string' || !r.name || !r.version) continue;
    out.push({ name: r.name, version: r.version, source: typeof r.source === 'string' ? r.source : 'crates.io', kind: typeof r.kind === 'string' ? r.kind : 'runtime', root: r.root === true });
  }
  return out;
}

export const rustCataloger: Cataloger = {
  id: 'cargo-auditable-binary-cataloger',
  // No content rules: the layer walker extracts the section from executables itself.
  rules: [],
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    for (const m of ctx.fs.captured()) {
      const section = ctx.fs.rustDeps(m.path);
      if (!section) continue;
      let crates: AuditableCrate[];
      try {
        crates = parseAuditable(section);
      } catch (e) {
        ctx.fs.skipped.push({ path: m.path, reason: `unreadable .dep-v0: ${(e as Error).message}` });
        continue;
      }
      const loc = location(ctx, m.path);
      for (const c of crates) {
        out.push({
          name: c.name,
          version: c.version,
          type: 'rust-crate',
          purl: purl('cargo', undefined, c.name, c.version),
          licenses: [],
          locations: [loc],
          foundBy: 'cargo-auditable-binary-cataloger',
          metadata: { source: c.source, kind: c.kind, binary: abs(m.path), ...(c.root ? { root: 'true' } : {}) },
        });
      }
    }
    return out;
  },
};
