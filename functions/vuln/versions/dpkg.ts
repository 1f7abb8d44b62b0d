/**
 * Debian version comparison, a line-by-line port of dpkg's `verrevcmp` (lib/dpkg/version.c) and
 * of `parseversion` (lib/dpkg/parsehelp.c), as specified in deb-version(7):
 *
 *   [epoch:]upstream_version[-debian_revision]
 *
 * The epoch is numeric (default 0). The revision is everything after the LAST hyphen (default
 * empty, which compares equal to "0"). Upstream and revision are compared by alternating runs:
 * a non-digit run compares character by character with the weight `~` < end of string <
 * letters < everything else (so `1.0~rc1` < `1.0` < `1.0a` < `1.0+b1`); a digit run compares
 * numerically (any length).
 */
import {
  compareNumeric,
  InvalidVersionError,
  isAlphaCode,
  isDigitCode,
  sign,
  type Cmp,
  type VersionComparator,
} from './types.js';

export interface DpkgVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

/** dpkg's character weight in non-digit runs; 0 stands for "end of the run / string". */
function order(c: number): number {
  if (Number.isNaN(c)) return 0; // past the end
  if (isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: compares an upstream version or a revision. */
export function verrevcmp(a: string, b: string): Cmp {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while (
      (i < a.length && !isDigitCode(a.charCodeAt(i))) ||
      (j < b.length && !isDigitCode(b.charCodeAt(j)))
    ) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (isDigitCode(a.charCodeAt(i)) && isDigitCode(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigitCode(a.charCodeAt(i))) return 1;
    if (isDigitCode(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

/** Splits like dpkg's parseversion, without rejecting anything (comparison must stay total). */
function split(v: string): DpkgVersion {
  const s = v.trim();
  const colon = s.indexOf(':');
  let epoch = '0';
  let rest = s;
  if (colon >= 0) {
    epoch = s.slice(0, colon) || '0';
    rest = s.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) return { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
  return { epoch, upstream: rest, revision: '' };
}

const UPSTREAM = /^[0-9][A-Za-z0-9.+~:-]*$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;

function valid(v: string): boolean {
  const s = v.trim();
  if (s.length === 0 || /\s/.test(s)) return false;
  const p = split(s);
  if (s.includes(':') && !/^[0-9]+$/.test(s.slice(0, s.indexOf(':')))) return false;
  if (!UPSTREAM.test(p.upstream)) return false;
  // A colon in the upstream part is only allowed when an epoch is present.
  if (!s.includes(':') && p.upstream.includes(':')) return false;
  if (s.slice(s.indexOf(':') + 1).includes('-') && !REVISION.test(p.revision)) return false;
  return true;
}

export function compareDpkg(a: string, b: string): Cmp {
  const x = split(a);
  const y = split(b);
  // Epochs are unsigned integers in dpkg; non-numeric ones (invalid) compare as text.
  const e =
    /^[0-9]+$/.test(x.epoch) && /^[0-9]+$/.test(y.epoch)
      ? compareNumeric(x.epoch, y.epoch)
      : verrevcmp(x.epoch, y.epoch);
  if (e !== 0) return e;
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}

export const dpkg: VersionComparator<DpkgVersion> = {
  name: 'dpkg',
  compare: compareDpkg,
  isValid: valid,
  parse(v) {
    if (!valid(v)) throw new InvalidVersionError('dpkg', v);
    return split(v);
  },
};
