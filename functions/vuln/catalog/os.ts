/** OS identification from os-release (etc/os-release, then usr/lib/os-release), as syft does. */
import type { ContentRule, ImageFilesystem } from '../layers/filesystem.js';
import type { Distro } from './types.js';

export const OS_RULES: ContentRule[] = [
  { id: 'os-release', match: (p) => p === 'etc/os-release' || p === 'usr/lib/os-release', maxBytes: 64 * 1024 },
  // Debian images before os-release existed, and a fallback for VERSION_ID on testing/sid.
  { id: 'debian-version', match: (p) => p === 'etc/debian_version' || p === 'etc/alpine-release', maxBytes: 4 * 1024 },
];

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]!] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

export function detectDistro(fs: ImageFilesystem): Distro | undefined {
  const text = fs.readText('etc/os-release') ?? fs.readText('usr/lib/os-release');
  if (!text) {
    const dv = fs.readText('etc/debian_version');
    if (dv) return { id: 'debian', versionId: dv.trim().split('.')[0] };
    const av = fs.readText('etc/alpine-release');
    if (av) return { id: 'alpine', versionId: av.trim() };
    return undefined;
  }
  const kv = parseOsRelease(text);
  if (!kv.ID) return undefined;
  return {
    id: kv.ID.toLowerCase(),
    versionId: kv.VERSION_ID,
    versionCodename: kv.VERSION_CODENAME,
    prettyName: kv.PRETTY_NAME,
    idLike: kv.ID_LIKE?.split(/\s+/).filter(Boolean),
  };
}
