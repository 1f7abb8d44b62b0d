/**
 * Ruby gems installed by RubyGems/Bundler: `<gem home>/specifications/[default/]<name>-<ver>.gemspec`.
 * Installed gemspecs are Ruby written by RubyGems in a fixed shape (`s.name = "rake".freeze`), so
 * the fields are read with patterns, never evaluated. Owned files are `s.files` under
 * `<gem home>/gems/<name>-<version>/`. purls: pkg:gem/<name>@<version>.
 */
import type { ContentRule } from '../layers/filesystem.js';
import { purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';

const GEMSPEC = /(?:^|\/)specifications\/(?:default\/)?[^/]+\.gemspec$/;

export const rubyRules: ContentRule[] = [{ id: 'gemspec', match: (p) => GEMSPEC.test(p), maxBytes: 1024 * 1024 }];

/** Quoted string literals of a Ruby expression (`"a".freeze, 'b'`), escapes of `"` and `\` undone. */
function strings(expr: string): string[] {
  return [...expr.matchAll(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g)].map((m) => (m[1] ?? m[2] ?? '').replace(/\\(["'\\])/g, '$1'));
}

/** `s.<field> = <value>` (value up to the end of its bracketed list or line). */
function field(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s*\\w+\\.${name}\\s*=\\s*(\\[[\\s\\S]*?\\]|[^\\n]*)`, 'm').exec(text);
  return m?.[1];
}

export interface Gemspec {
  name: string;
  version: string;
  licenses: string[];
  authors: string[];
  files: string[];
  homepage?: string;
}

export function parseGemspec(text: string): Gemspec | undefined {
  const name = strings(field(text, 'name') ?? '')[0];
  // `s.version = "1.2.3"` or `Gem::Version.new("1.2.3")`
  const version = strings(field(text, 'version') ?? '')[0];
  if (!name || !version) return undefined;
  const lic = field(text, 'licenses') ?? field(text, 'license');
  return {
    name,
    version,
    licenses: lic ? strings(lic) : [],
    authors: strings(field(text, 'authors') ?? ''),
    files: strings(field(text, 'files') ?? '').slice(0, 100_000),
    homepage: strings(field(text, 'homepage') ?? '')[0],
  };
}

export const rubyCataloger: Cataloger = {
  id: 'ruby-installed-gemspec-cataloger',
  rules: rubyRules,
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    for (const m of ctx.fs.captured('gemspec')) {
      const text = ctx.fs.readText(m.path);
      const g = text ? parseGemspec(text) : undefined;
      if (!g) continue;
      const home = m.path.slice(0, m.path.lastIndexOf('specifications/'));
      const gemDir = `${home}gems/${g.name}-${g.version}`;
      out.push({
        name: g.name,
        version: g.version,
        type: 'gem',
        purl: purl('gem', undefined, g.name, g.version),
        licenses: g.licenses,
        locations: [location(ctx, m.path)],
        files: g.files.length ? g.files.map((f) => abs(`${gemDir}/${f}`)) : undefined,
        supplier: g.authors.join(', ') || undefined,
        foundBy: 'ruby-installed-gemspec-cataloger',
        metadata: g.homepage ? { homepage: g.homepage } : undefined,
      });
    }
    return out;
  },
};
