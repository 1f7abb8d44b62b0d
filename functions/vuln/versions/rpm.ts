/**
 * RPM version comparison: a port of `rpmvercmp` (rpmio/rpmvercmp.c, rpm ≥ 4.15 with the caret
 * operator) and of the EVR handling of `rpmverCmp` (lib/rpmver.c):
 *
 *   [epoch:]version[-release]
 *
 * - the epoch defaults to 0; version and release split at the LAST hyphen;
 * - a missing release compares as the empty string, as `rpm.vercmp` does (`1.0 < 1.0-1`). rpm's
 *   dependency solver instead skips the release when one side lacks it, but that rule is not
 *   transitive (1.0-1 = 1.0 = 1.0-2 yet 1.0-1 < 1.0-2), and range evaluation needs a total
 *   order; installed packages always carry a release anyway;
 * - segments are maximal runs of digits or of ASCII letters; other characters only separate;
 *   `~` sorts before anything (pre-release: `1.0~rc1 < 1.0`), `^` sorts after the end of the base
 *   but before any further segment (post-release snapshot: `1.0 < 1.0^git1 < 1.0.1`);
 * - digits vs letters: digits are newer; numbers compare by length after stripping leading
 *   zeros, then lexically; when one string runs out, the longer one is newer.
 */
import {
  compareNumeric,
  compareStrings,
  InvalidVersionError,
  isAlphaCode,
  isDigitCode,
  type Cmp,
  type VersionComparator,
} from './types.js';

export interface RpmVersion {
  epoch: string;
  version: string;
  release: string | undefined;
}

function isAlnum(c: number): boolean {
  return isDigitCode(c) || isAlphaCode(c);
}

export function rpmvercmp(a: string, b: string): Cmp {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    while (i < la && !isAlnum(a.charCodeAt(i)) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < lb && !isAlnum(b.charCodeAt(j)) && b[j] !== '~' && b[j] !== '^') j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= la) return -1;
      if (j >= lb) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < la && j < lb)) break;

    let ei = i;
    let ej = j;
    const isnum = isDigitCode(a.charCodeAt(i));
    if (isnum) {
      while (ei < la && isDigitCode(a.charCodeAt(ei))) ei++;
      while (ej < lb && isDigitCode(b.charCodeAt(ej))) ej++;
    } else {
      while (ei < la && isAlphaCode(a.charCodeAt(ei))) ei++;
      while (ej < lb && isAlphaCode(b.charCodeAt(ej))) ej++;
    }
    // a's segment is non-empty by construction; b's is empty when the segment types differ.
    if (ej === j) return isnum ? 1 : -1;
    const sa = a.slice(i, ei);
    const sb = b.slice(j, ej);
    const rc = isnum ? compareNumeric(sa, sb) : compareStrings(sa, sb);
    if (rc !== 0) return rc;
    i = ei;
    j = ej;
  }
  if (i >= la && j >= lb) return 0;
  return i >= la ? -1 : 1;
}

/** rpm's parseEVR: leading digits followed by ':' are the epoch; the release follows the last '-'. */
export function parseEvr(v: string): RpmVersion {
  const s = v.trim();
  let k = 0;
  while (k < s.length && isDigitCode(s.charCodeAt(k))) k++;
  let epoch = '0';
  let rest = s;
  if (s[k] === ':') {
    epoch = s.slice(0, k) || '0';
    rest = s.slice(k + 1);
  }
  const h = rest.lastIndexOf('-');
  if (h >= 0) return { epoch, version: rest.slice(0, h), release: rest.slice(h + 1) };
  return { epoch, version: rest, release: undefined };
}

export function compareRpm(a: string, b: string): Cmp {
  const x = parseEvr(a);
  const y = parseEvr(b);
  const e = rpmvercmp(x.epoch, y.epoch);
  if (e !== 0) return e;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0) return v;
  return rpmvercmp(x.release ?? '', y.release ?? '');
}

const VALID = /^(?:[0-9]+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?$/;

export const rpm: VersionComparator<RpmVersion> = {
  name: 'rpm',
  compare: compareRpm,
  isValid: (v) => VALID.test(v.trim()),
  parse(v) {
    if (!VALID.test(v.trim())) throw new InvalidVersionError('rpm', v);
    return parseEvr(v);
  },
};
