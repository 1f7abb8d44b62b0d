/**
 * Go module binaries: the buildinfo blob Go ≥ 1.18 embeds at the start of `.go.buildinfo`
 * (`\xff Go buildinf:` magic, pointer size, flags; flag 0x2 = inline varint-prefixed strings:
 * the Go version, then the module info `path/mod/dep/=>/build` lines framed by 16-byte sentinels).
 * The layer walker captures only the bytes after the magic of executable ELF files, so no binary is
 * spooled. Pre-1.18 binaries (pointer-based buildinfo) are not read. purls as syft writes them:
 * pkg:golang/github.com/foo/bar@v1.2.3, and the toolchain as pkg:golang/stdlib@1.21.3.
 */
import { purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';

export interface GoBuildInfo {
  goVersion: string;
  path?: string;
  main?: { path: string; version: string; sum?: string };
  deps: { path: string; version: string; sum?: string }[];
  settings: Record<string, string>;
}

function uvarint(b: Buffer, off: number): [number, number] {
  let x = 0;
  let s = 0;
  for (let i = 0; i < 10 && off + i < b.length; i++) {
    const c = b[off + i]!;
    if (c < 0x80) return [x + c * 2 ** s, off + i + 1];
    x += (c & 0x7f) * 2 ** s;
    s += 7;
  }
  return [-1, off];
}

/** Parse the bytes starting at the buildinfo magic. Undefined for the pre-1.18 pointer format. */
export function parseGoBuildInfo(b: Buffer): GoBuildInfo | undefined {
  if (b.length < 33 || b.toString('latin1', 0, 14) !== '\xff Go buildinf:') return undefined;
  const flags = b[15]!;
  if ((flags & 0x2) === 0) return undefined;
  let off = 32;
  const str = (): string | undefined => {
    const [n, next] = uvarint(b, off);
    if (n < 0 || next + n > b.length) return undefined;
    off = next + n;
    return b.toString('utf8', next, next + n);
  };
  const goVersion = str();
  let mod = str();
  if (!goVersion || mod === undefined) return undefined;
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, -16);
  const info: GoBuildInfo = { goVersion, deps: [], settings: {} };
  let last: { path: string; version: string; sum?: string } | undefined;
  for (const line of mod.split('\n')) {
    const f = line.split('\t');
    const entry = (): { path: string; version: string; sum?: string } => ({ path: f[1] ?? '', version: f[2] ?? '', sum: f[3] || undefined });
    if (f[0] === 'path') info.path = f[1];
    else if (f[0] === 'mod') info.main = last = entry();
    else if (f[0] === 'dep') info.deps.push((last = entry()));
    else if (f[0] === '=>' && last) Object.assign(last, entry());
    else if (f[0] === 'build' && f[1]) {
      const i = f[1].indexOf('=');
      if (i > 0) info.settings[f[1].slice(0, i)] = f[1].slice(i + 1);
    }
  }
  return info;
}

export function goPurl(path: string, version: string): string {
  const i = path.lastIndexOf('/');
  return i > 0 ? purl('golang', path.slice(0, i), path.slice(i + 1), version) : purl('golang', undefined, path, version);
}

export const goCataloger: Cataloger = {
  id: 'go-module-binary-cataloger',
  // No content rules: the layer walker scans executables for the buildinfo magic itself.
  rules: [],
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    for (const m of ctx.fs.captured()) {
      const raw = ctx.fs.goBuildInfo(m.path);
      if (!raw) continue;
      const info = parseGoBuildInfo(raw);
      if (!info) continue;
      const loc = location(ctx, m.path);
      const meta = { goVersion: info.goVersion, binary: abs(m.path) };
      const add = (path: string, version: string): void => {
        if (!path) return;
        out.push({ name: path, version, type: 'go-module', purl: goPurl(path, version), licenses: [], locations: [loc], foundBy: 'go-module-binary-cataloger', metadata: meta });
      };
      if (info.main) add(info.main.path, info.main.version || '(devel)');
      for (const d of info.deps) add(d.path, d.version);
      const v = info.goVersion.replace(/^go/, '').split(/\s/)[0]!;
      out.push({ name: 'stdlib', version: info.goVersion.split(/\s/)[0]!, type: 'go-module', purl: purl('golang', undefined, 'stdlib', v), licenses: ['BSD-3-Clause'], locations: [loc], foundBy: 'go-module-binary-cataloger', metadata: meta });
    }
    return out;
  },
};
