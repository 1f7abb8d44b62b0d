/**
 * SemVer 2.0.0 precedence (§11), used for npm, crates.io, Hex, Pub ... and for every OSV range of
 * type SEMVER whatever the ecosystem.
 *
 * - major.minor.patch numerically (any size), then a version with a pre-release is lower than
 *   the same version without; pre-release identifiers compare left to right, numeric ones
 *   numerically and below alphanumeric ones (ASCII order); a shorter identifier list that is a
 *   prefix of the other is lower. Build metadata (`+...`) is ignored, as npm `semver.compare`.
 * - Strict parsing follows the spec grammar (no leading zeros, no `v`). Comparison is lenient,
 *   like osv-scalibr's "semver-like" parser, because advisories and lockfiles contain `v1.2`,
 *   `1.2.3.4`, `1.0.0-RC.1`: missing components are 0, extra numeric components are compared
 *   too, and a leading `v`/`=` is dropped.
 */
import {
  compareNumeric,
  compareStrings,
  InvalidVersionError,
  type Cmp,
  type VersionComparator,
} from './types.js';

export interface SemVer {
  /** Numeric release components as decimal strings (at least three after lenient parsing). */
  release: string[];
  prerelease: string[];
  build: string[];
}

const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const STRICT = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`,
);

export function isValidSemver(v: string): boolean {
  return STRICT.test(v);
}

export function parseSemverStrict(v: string): SemVer {
  const m = STRICT.exec(v);
  if (!m) throw new InvalidVersionError('semver', v);
  return {
    release: [m[1]!, m[2]!, m[3]!],
    prerelease: m[4] ? m[4].split('.') : [],
    build: m[5] ? m[5].split('.') : [],
  };
}

/** Lenient parse: never fails; non-numeric leftovers of the release part become pre-release. */
export function parseSemverLenient(input: string): SemVer {
  let v = input.trim().replace(/^[=v]+/i, '');
  let build: string[] = [];
  const plus = v.indexOf('+');
  if (plus >= 0) {
    build = v.slice(plus + 1).split('.');
    v = v.slice(0, plus);
  }
  let pre = '';
  const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(v);
  let release: string[];
  if (m) {
    release = m[1]!.split('.');
    pre = m[2]!.replace(/^[-.]/, '');
  } else {
    release = [];
    pre = v;
  }
  while (release.length < 3) release.push('0');
  return { release, prerelease: pre === '' ? [] : pre.split('.'), build };
}

function compareIdentifiers(a: string, b: string): Cmp {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return compareNumeric(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a, b);
}

export function comparePrerelease(
  a: readonly string[],
  b: readonly string[],
  cmpId: (x: string, y: string) => Cmp = compareIdentifiers,
): Cmp {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmpId(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareRelease(a: readonly string[], b: readonly string[]): Cmp {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareNumeric(a[i] ?? '0', b[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

export function compareParsedSemver(x: SemVer, y: SemVer): Cmp {
  return compareRelease(x.release, y.release) || comparePrerelease(x.prerelease, y.prerelease);
}

/**
 * Range evaluation compares the same few versions (a package's and its advisories' events) over
 * and over, so parses are memoised. The cache is bounded: it is cleared when full. Parsed values
 * are never mutated.
 */
const PARSED_MAX = 16_384;
const parsed = new Map<string, SemVer>();

function parseCached(v: string): SemVer {
  let p = parsed.get(v);
  if (p === undefined) {
    p = STRICT.test(v) ? parseSemverStrict(v) : parseSemverLenient(v);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(v, p);
  }
  return p;
}

export function compareSemver(a: string, b: string): Cmp {
  return compareParsedSemver(parseCached(a), parseCached(b));
}

export const semver: VersionComparator<SemVer> = {
  name: 'semver',
  compare: compareSemver,
  isValid: isValidSemver,
  parse: parseSemverStrict,
};

/**
 * Go module versions: semver with a mandatory `v` in go.mod, but OSV's Go ecosystem drops it.
 * `+incompatible` is build metadata and ignored; pseudo-versions
 * (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019...`) are pre-releases of the next patch
 * and order correctly under plain semver precedence.
 */
export const goVersion: VersionComparator<SemVer> = {
  name: 'go',
  compare: (a, b) => compareSemver(a.replace(/^v/, ''), b.replace(/^v/, '')),
  isValid: (v) => isValidSemver(v.replace(/^v/, '')),
  parse: (v) => parseSemverStrict(v.replace(/^v/, '')),
};
