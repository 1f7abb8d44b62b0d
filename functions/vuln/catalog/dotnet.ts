/**
 * .NET: `<app>.deps.json` written next to every built .NET (Core) application. Each `libraries`
 * entry `Name/Version` of type `package` (NuGet) or `project` is a package; its sha512 and NuGet
 * path go into metadata. purls: pkg:nuget/<Name>@<Version>.
 */
import type { ContentRule } from '../layers/filesystem.js';
import { purl } from './purl.js';
import { location, type CatalogContext, type Cataloger, type Package } from './types.js';

const DEPS = /\.deps\.json$/;

export const dotnetRules: ContentRule[] = [{ id: 'dotnet-deps', match: (p) => DEPS.test(p), maxBytes: 32 * 1024 * 1024 }];

export interface DotnetLibrary {
  name: string;
  version: string;
  type: string;
  sha512?: string;
  path?: string;
}

export function parseDepsJson(text: string): DotnetLibrary[] {
  const doc: unknown = JSON.parse(text);
  const libs = (doc as { libraries?: unknown } | null)?.libraries;
  if (!libs || typeof libs !== 'object' || Array.isArray(libs)) return [];
  const out: DotnetLibrary[] = [];
  for (const [key, v] of Object.entries(libs as Record<string, unknown>)) {
    const slash = key.lastIndexOf('/');
    if (slash <= 0 || slash === key.length - 1 || !v || typeof v !== 'object') continue;
    const r = v as Record<string, unknown>;
    const type = typeof r.type === 'string' ? r.type : '';
    if (type !== 'package' && type !== 'project') continue;
    out.push({ name: key.slice(0, slash), version: key.slice(slash + 1), type, sha512: typeof r.sha512 === 'string' && r.sha512 ? r.sha512 : undefined, path: typeof r.path === 'string' ? r.path : undefined });
  }
  return out;
}

export const dotnetCataloger: Cataloger = {
  id: 'dotnet-deps-cataloger',
  rules: dotnetRules,
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    for (const m of ctx.fs.captured('dotnet-deps')) {
      let libs: DotnetLibrary[];
      try {
        libs = parseDepsJson(ctx.fs.readText(m.path) ?? '');
      } catch {
        ctx.fs.skipped.push({ path: m.path, reason: 'invalid JSON' });
        continue;
      }
      for (const l of libs) {
        out.push({
          name: l.name,
          version: l.version,
          type: 'dotnet',
          purl: purl('nuget', undefined, l.name, l.version),
          licenses: [],
          locations: [location(ctx, m.path)],
          foundBy: 'dotnet-deps-cataloger',
          metadata: { type: l.type, ...(l.sha512 ? { sha512: l.sha512 } : {}), ...(l.path ? { path: l.path } : {}) },
        });
      }
    }
    return out;
  },
};
