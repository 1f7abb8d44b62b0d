/**
 * Composer (Packagist) versions: `composer/semver`'s `VersionParser::normalize` followed by PHP's
 * `version_compare`, which is what Composer's constraint checks do.
 *
 * normalize: `v1.2` → `1.2.0.0`; stabilities `stable|beta|b|RC|alpha|a|patch|pl|p` with optional
 * numbers → `-beta2`, `-alpha1`, `-patch3`; a trailing `dev` → `-dev`; date versions
 * (`2010.01.02`) keep their digits; `+build` metadata is dropped.
 * version_compare: the string is canonicalised (`-`,`_`,`+` → `.`, a `.` inserted at every
 * digit/non-digit boundary) and compared part by part; numbers numerically; special words
 * `dev < alpha = a < beta = b < RC = rc < (number) < pl = p` (prefix match, so `patch` counts as
 * `p`); any other word is below `dev`. When one side runs out, its missing part is a number.
 * Branch versions (`dev-master`) have no order; they sort before every release here.
 */
import { InvalidVersionError, isDigitCode, type Cmp, type VersionComparator } from './types.js';

const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
// composer/semver 3.3 (Debian's composer 2.5, the oracle in CI): at most one trailing group.
const DATETIME = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const NUMERIC_BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

/** VersionParser::normalizeBranch for numeric branches (`2.1.x` → `2.1.9999999.9999999-dev`). */
function numericBranch(name: string): string | undefined {
  const m = NUMERIC_BRANCH.exec(name.trim());
  if (!m) return undefined;
  let v = '';
  for (let i = 1; i < 5; i++) v += m[i] !== undefined ? m[i]!.replace(/[*X]/g, 'x') : '.x';
  return v.replace(/x/g, '9999999') + '-dev';
}

function expandStability(s: string): string {
  const l = s.toLowerCase();
  if (l === 'a') return 'alpha';
  if (l === 'b') return 'beta';
  if (l === 'p' || l === 'pl') return 'patch';
  if (l === 'rc') return 'RC';
  return l;
}

/** Composer's VersionParser::normalize (release versions; branches become `dev-<name>`). */
export function normalizeComposer(input: string): string {
  let v = input.trim();
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(v);
  if (alias) v = alias[1]!;
  v = v.replace(/@(?:stable|RC|beta|alpha|dev)$/i, '');
  if (v === 'master' || v === 'trunk' || v === 'default') return `dev-${v}`;
  if (v.toLowerCase().startsWith('dev-')) return `dev-${v.slice(4)}`;
  const build = /^([^,\s+]+)\+[^\s]+$/.exec(v);
  if (build) v = build[1]!;
  let m = CLASSICAL.exec(v);
  let version: string;
  let idx: number;
  if (m) {
    version = m[1]! + (m[2] ?? '.0') + (m[3] ?? '.0') + (m[4] ?? '.0');
    idx = 5;
  } else {
    m = DATETIME.exec(v);
    if (!m) {
      // `<numeric>-dev` is a branch (`2.1.x-dev`); any other `...dev` is invalid without `dev-`.
      const branch = /^(.*?)[.-]?dev$/i.exec(v);
      const numeric = branch ? numericBranch(branch[1]!) : undefined;
      if (numeric) return numeric;
      throw new InvalidVersionError('composer', input);
    }
    version = m[1]!.replace(/\D/g, '.');
    idx = 2;
  }
  const stab = m[idx];
  if (stab) {
    // Exactly `stable` (case-sensitive in Composer) ends the version, a `-dev` after it included.
    if (stab === 'stable') return version;
    version += `-${expandStability(stab)}${(m[idx + 1] ?? '').replace(/^[.-]+/, '')}`;
  }
  if (m[idx + 2]) version += '-dev';
  return version;
}

function canonicalize(v: string): string {
  if (v.length === 0) return v;
  let out = v[0]!;
  let lp = v.charCodeAt(0);
  for (let i = 1; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const ch = v[i]!;
    const last = out[out.length - 1];
    const dig = (x: number): boolean => isDigitCode(x);
    const ndig = (x: number): boolean => !isDigitCode(x) && x !== 46;
    if (ch === '-' || ch === '_' || ch === '+') {
      if (last !== '.') out += '.';
    } else if ((ndig(lp) && dig(c)) || (dig(lp) && ndig(c))) {
      if (last !== '.') out += '.';
      out += ch;
    } else if (!/[A-Za-z0-9]/.test(ch)) {
      if (last !== '.') out += '.';
    } else out += ch;
    lp = c;
  }
  return out;
}

const SPECIAL: [string, number][] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function special(form: string): number {
  for (const [name, order] of SPECIAL) if (form.startsWith(name)) return order;
  return -1;
}

function cmpSpecial(a: string, b: string): Cmp {
  const d = special(a) - special(b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

const PHP_LONG_MAX = 9223372036854775807n;

/** Digit runs as PHP reads them (strtol): numbers above PHP_INT_MAX saturate, so they tie. */
function comparePhpLong(x: string, y: string): Cmp {
  if (x.length < 16 && y.length < 16) {
    const d = parseInt(x, 10) - parseInt(y, 10);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
  }
  const clamp = (s: string): bigint => {
    const n = BigInt(/^\d+/.exec(s)![0]);
    return n > PHP_LONG_MAX ? PHP_LONG_MAX : n;
  };
  const a = clamp(x);
  const b = clamp(y);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PHP's version_compare(a, b) (ext/standard/versioning.c). */
export function phpVersionCompare(a: string, b: string): Cmp {
  if (a === '' || b === '') {
    if (a === '' && b === '') return 0;
    return a === '' ? -1 : 1;
  }
  const p1 = (a[0] === '#' ? a : canonicalize(a)).split('.');
  const p2 = (b[0] === '#' ? b : canonicalize(b)).split('.');
  const isNum = (s: string): boolean => isDigitCode(s.charCodeAt(0));
  const n = Math.min(p1.length, p2.length);
  for (let i = 0; i < n; i++) {
    const x = p1[i]!;
    const y = p2[i]!;
    let c: Cmp;
    if (isNum(x) && isNum(y)) c = comparePhpLong(x, y);
    else if (!isNum(x) && !isNum(y)) c = cmpSpecial(x, y);
    else c = isNum(x) ? cmpSpecial('#N#', y) : cmpSpecial(x, '#N#');
    if (c !== 0) return c;
  }
  if (p1.length > n) return isNum(p1[n]!) ? 1 : phpVersionCompare(p1.slice(n).join('.'), '#N#');
  if (p2.length > n) return isNum(p2[n]!) ? -1 : phpVersionCompare('#N#', p2.slice(n).join('.'));
  return 0;
}

function normalized(v: string): string | undefined {
  try {
    return normalizeComposer(v);
  } catch {
    return undefined;
  }
}

export function compareComposer(a: string, b: string): Cmp {
  const x = normalized(a) ?? a.trim();
  const y = normalized(b) ?? b.trim();
  const xb = x.startsWith('dev-');
  const yb = y.startsWith('dev-');
  if (xb || yb) {
    if (xb && yb) return x < y ? -1 : x > y ? 1 : 0;
    return xb ? -1 : 1;
  }
  return phpVersionCompare(x, y);
}

export const composer: VersionComparator<string> = {
  name: 'composer',
  compare: compareComposer,
  isValid: (v) => normalized(v) !== undefined,
  parse: normalizeComposer,
};
