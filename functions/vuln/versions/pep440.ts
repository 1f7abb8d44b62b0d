/**
 * PEP 440 versions, ordered exactly as `packaging.version.Version` (its regex and `_cmpkey`):
 *
 *   [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * Normalisation: case-insensitive; `alpha`→a, `beta`→b, `c`/`pre`/`preview`→rc, `rev`/`r`→post,
 * `1.0-1` is an implicit post-release, missing numbers are 0, separators `-_.` are optional.
 * Ordering: epoch; release with trailing zeros ignored; a dev-only release sorts before its
 * pre-releases (`1.0.dev1 < 1.0a1`); pre; post (none lowest); dev (none highest); local (none
 * lowest; numeric segments above alphanumeric ones, longer wins on a common prefix).
 *
 * Strings that are not PEP 440 (pre-PEP "legacy" versions, which pip no longer accepts) sort
 * before every valid version and among themselves as text, as osv-scalibr does.
 */
import {
  compareNumeric,
  compareStrings,
  InvalidVersionError,
  type Cmp,
  type VersionComparator,
} from './types.js';

export interface Pep440Version {
  epoch: string;
  release: string[];
  pre: [string, string] | undefined;
  post: string | undefined;
  dev: string | undefined;
  local: string[] | undefined;
}

const RE = new RegExp(
  '^\\s*v?' +
    '(?:([0-9]+)!)?' +
    '([0-9]+(?:\\.[0-9]+)*)' +
    '([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?' +
    '((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?' +
    '([-_.]?(dev)[-_.]?([0-9]+)?)?' +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

function preLetter(l: string): string {
  switch (l.toLowerCase()) {
    case 'alpha':
    case 'a':
      return 'a';
    case 'beta':
    case 'b':
      return 'b';
    default:
      return 'rc'; // c, pre, preview, rc
  }
}

function strip0(n: string): string {
  const s = n.replace(/^0+/, '');
  return s === '' ? '0' : s;
}

export function parsePep440(v: string): Pep440Version {
  const m = RE.exec(v);
  if (!m) throw new InvalidVersionError('pep440', v);
  return {
    epoch: strip0(m[1] ?? '0'),
    release: m[2]!.split('.').map(strip0),
    pre: m[4] ? [preLetter(m[4]), strip0(m[5] ?? '0')] : undefined,
    post: m[6] ? strip0(m[7] ?? m[9] ?? '0') : undefined,
    dev: m[10] ? strip0(m[12] ?? '0') : undefined,
    local: m[13]
      ? m[13]
          .toLowerCase()
          .split(/[-_.]/)
          .map((p) => (/^\d+$/.test(p) ? strip0(p) : p))
      : undefined,
  };
}

/** Normalised string form, as `str(Version(v))`. */
export function normalizePep440(v: string): string {
  const p = parsePep440(v);
  let s = p.epoch !== '0' ? `${p.epoch}!` : '';
  s += p.release.join('.');
  if (p.pre) s += p.pre[0] + p.pre[1];
  if (p.post !== undefined) s += `.post${p.post}`;
  if (p.dev !== undefined) s += `.dev${p.dev}`;
  if (p.local) s += `+${p.local.join('.')}`;
  return s;
}

function trimZeros(r: string[]): string[] {
  let n = r.length;
  while (n > 0 && r[n - 1] === '0') n--;
  return r.slice(0, n);
}

// Three-level keys mirroring packaging's Infinity / NegativeInfinity sentinels.
type Opt = { kind: -1 | 0 | 1; n?: string; l?: string };

function cmpOpt(a: Opt, b: Opt): Cmp {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.kind !== 0) return 0;
  if (a.l !== undefined && b.l !== undefined) {
    const c = compareStrings(a.l, b.l);
    if (c !== 0) return c;
  }
  return compareNumeric(a.n ?? '0', b.n ?? '0');
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): Cmp {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    let c: Cmp;
    if (xn && yn) c = compareNumeric(x, y);
    else if (xn) c = 1;
    else if (yn) c = -1;
    else c = compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareParsedPep440(a: Pep440Version, b: Pep440Version): Cmp {
  let c = compareNumeric(a.epoch, b.epoch);
  if (c !== 0) return c;
  const ra = trimZeros(a.release);
  const rb = trimZeros(b.release);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    if (i >= ra.length) return -1;
    if (i >= rb.length) return 1;
    c = compareNumeric(ra[i]!, rb[i]!);
    if (c !== 0) return c;
  }
  const preKey = (v: Pep440Version): Opt =>
    v.pre
      ? { kind: 0, l: v.pre[0], n: v.pre[1] }
      : v.post === undefined && v.dev !== undefined
        ? { kind: -1 }
        : { kind: 1 };
  c = cmpOpt(preKey(a), preKey(b));
  if (c !== 0) return c;
  const postKey = (v: Pep440Version): Opt => (v.post === undefined ? { kind: -1 } : { kind: 0, n: v.post });
  c = cmpOpt(postKey(a), postKey(b));
  if (c !== 0) return c;
  const devKey = (v: Pep440Version): Opt => (v.dev === undefined ? { kind: 1 } : { kind: 0, n: v.dev });
  c = cmpOpt(devKey(a), devKey(b));
  if (c !== 0) return c;
  return compareLocal(a.local, b.local);
}

export function comparePep440(a: string, b: string): Cmp {
  const x = RE.test(a) ? parsePep440(a) : undefined;
  const y = RE.test(b) ? parsePep440(b) : undefined;
  if (x && y) return compareParsedPep440(x, y);
  if (!x && !y) return compareStrings(a.trim().toLowerCase(), b.trim().toLowerCase());
  return x ? 1 : -1;
}

export const pep440: VersionComparator<Pep440Version> = {
  name: 'pep440',
  compare: comparePep440,
  isValid: (v) => RE.test(v),
  parse: parsePep440,
};
