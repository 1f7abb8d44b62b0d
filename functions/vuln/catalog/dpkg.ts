/**
 * dpkg cataloger: var/lib/dpkg/status (and status.d/* of distroless images), owned files from
 * var/lib/dpkg/info/<pkg>[:<arch>].list, declared licenses from usr/share/doc/<pkg>/copyright
 * (machine-readable `License:` fields). purls as syft writes them:
 *   pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc&distro=debian-12
 */
import type { ContentRule } from '../layers/filesystem.js';
import { distroQualifier, purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;
const LIST = /^var\/lib\/dpkg\/info\/[^/]+\.list$/;
const COPYRIGHT = /^usr\/share\/doc\/[^/]+\/copyright$/;

export const dpkgRules: ContentRule[] = [
  { id: 'dpkg-status', match: (p) => p === STATUS || STATUS_D.test(p), maxBytes: 64 * 1024 * 1024 },
  { id: 'dpkg-list', match: (p) => LIST.test(p), maxBytes: 16 * 1024 * 1024 },
  { id: 'dpkg-copyright', match: (p) => COPYRIGHT.test(p), maxBytes: 256 * 1024 },
];

/** Control-file paragraphs: `Key: value` with continuation lines starting with space/tab. */
export function parseControl(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(cur).length) out.push(cur);
      cur = {};
      last = undefined;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      cur[last] += `\n${line.slice(1)}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim();
    cur[last] = line.slice(i + 1).trim();
  }
  if (Object.keys(cur).length) out.push(cur);
  return out;
}

/** `Source: glibc (2.36-9)` → { name: 'glibc', version: '2.36-9' }. */
export function parseSource(v: string | undefined): { name?: string; version?: string } {
  if (!v) return {};
  const m = /^(\S+)(?:\s*\(([^)]+)\))?/.exec(v.trim());
  return m ? { name: m[1], version: m[2]?.trim() } : {};
}

/** License identifiers of a DEP-5 copyright file (first word of each `License:` field). */
export function parseCopyrightLicenses(text: string): string[] {
  const set = new Set<string>();
  for (const m of text.matchAll(/^License:[ \t]*(\S[^\n]*)$/gm)) {
    const l = m[1]!.trim();
    if (l && l.length < 200) set.add(l);
  }
  return [...set].sort();
}

export const dpkgCataloger: Cataloger = {
  id: 'dpkg-db-cataloger',
  rules: dpkgRules,
  catalog(ctx: CatalogContext): Package[] {
    const out: Package[] = [];
    const sources: { path: string; text: string }[] = [];
    for (const m of ctx.fs.captured('dpkg-status')) {
      const text = ctx.fs.readText(m.path);
      if (text) sources.push({ path: m.path, text });
    }
    const distro = ctx.distro;
    const namespace = distro?.id ?? 'debian';
    for (const src of sources) {
      for (const p of parseControl(src.text)) {
        const name = p.Package;
        const version = p.Version;
        if (!name || !version) continue;
        const status = (p.Status ?? 'install ok installed').split(/\s+/);
        if (status[2] === 'not-installed' || status[2] === 'config-files') continue;
        const arch = p.Architecture;
        const source = parseSource(p.Source);
        const upstream = source.name && source.name !== name ? (source.version && source.version !== version ? `${source.name}@${source.version}` : source.name) : undefined;
        const files = ownedFiles(ctx, name, arch);
        const copyright = ctx.fs.readText(`usr/share/doc/${name}/copyright`);
        out.push({
          name,
          version,
          type: 'deb',
          purl: purl('deb', namespace, name, version, [
            ['arch', arch],
            ['upstream', upstream],
            ['distro', distroQualifier(distro)],
          ]),
          licenses: copyright ? parseCopyrightLicenses(copyright) : [],
          locations: [location(ctx, src.path)],
          files,
          sourceName: source.name,
          sourceVersion: source.version,
          supplier: p.Maintainer,
          foundBy: 'dpkg-db-cataloger',
          metadata: arch ? { arch } : undefined,
        });
      }
    }
    return out;
  },
};

function ownedFiles(ctx: CatalogContext, name: string, arch: string | undefined): string[] | undefined {
  const text = (arch ? ctx.fs.readText(`var/lib/dpkg/info/${name}:${arch}.list`) : undefined) ?? ctx.fs.readText(`var/lib/dpkg/info/${name}.list`);
  if (text === undefined) return undefined;
  const files: string[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l === '/.') continue;
    // The list names directories too, and paths later layers deleted: keep files present in the
    // final image (what a vulnerability in this package could actually be loaded from).
    const meta = ctx.fs.stat(l.replace(/^\/+/, ''));
    if (!meta || meta.type === 'dir') continue;
    files.push(l.startsWith('/') ? l : abs(l));
  }
  return files;
}
