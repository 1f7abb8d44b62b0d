/**
 * RubyGems versions (`Gem::Version`): the string is split into numeric and alphabetic segments
 * (`1.0.0.rc1` → 1, 0, 0, "rc", 1; a `-` means `.pre.`); a version containing a letter is a
 * pre-release. Comparison uses the canonical segments: trailing zeros are dropped from the
 * release part and from the pre-release part separately (`1.0.a` == `1.a`), missing segments
 * are 0, a string segment is lower than a number, strings compare lexically.
 */
import {
  compareNumeric,
  compareStrings,
  InvalidVersionError,
  type Cmp,
  type VersionComparator,
} from './types.js';

export type GemSegment = string | { n: string };

const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

function segments(v: string): GemSegment[] {
  const s = v.trim().replace(/-/g, '.pre.');
  const out: GemSegment[] = [];
  for (const m of s.matchAll(/[0-9]+|[a-z]+/gi))
    out.push(/^[0-9]/.test(m[0]) ? { n: m[0].replace(/^0+(?=.)/, '') } : m[0]);
  return out;
}

function isZero(s: GemSegment): boolean {
  return typeof s !== 'string' && /^0+$/.test(s.n);
}

export function canonicalSegments(v: string): GemSegment[] {
  const segs = segments(v);
  const firstStr = segs.findIndex((s) => typeof s === 'string');
  const parts = firstStr < 0 ? [segs] : [segs.slice(0, firstStr), segs.slice(firstStr)];
  return parts.flatMap((p) => {
    let n = p.length;
    while (n > 0 && isZero(p[n - 1]!)) n--;
    return p.slice(0, n);
  });
}

export function compareGem(a: string, b: string): Cmp {
  const l = canonicalSegments(a);
  const r = canonicalSegments(b);
  const n = Math.max(l.length, r.length);
  for (let i = 0; i < n; i++) {
    const x = l[i] ?? { n: '0' };
    const y = r[i] ?? { n: '0' };
    const xs = typeof x === 'string';
    const ys = typeof y === 'string';
    if (xs && ys) {
      const c = compareStrings(x, y);
      if (c !== 0) return c;
    } else if (xs) return -1;
    else if (ys) return 1;
    else {
      const c = compareNumeric(x.n, y.n);
      if (c !== 0) return c;
    }
  }
  return 0;
}

export const rubygems: VersionComparator<GemSegment[]> = {
  name: 'rubygems',
  compare: compareGem,
  isValid: (v) => VALID.test(v) && v.trim() !== '',
  parse(v) {
    if (!VALID.test(v) || v.trim() === '') throw new InvalidVersionError('rubygems', v);
    return canonicalSegments(v);
  },
};
