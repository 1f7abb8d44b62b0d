/**
 * Maven versions, a port of `org.apache.maven.artifact.versioning.ComparableVersion` as shipped
 * with Maven 3.8.7 (the oracle on the build machine): the version is lower-cased and split into a
 * tree of items. `.` separates items in the current list, `-` (and a digit↔letter transition)
 * opens a nested sub-list. Items are integers (any size), strings (qualifiers) or lists.
 *
 * - Qualifier order: alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release
 *   < sp, unknown qualifiers after all of these, lexically; `a1`, `b1`, `m1` mean alpha/beta/
 *   milestone when directly followed by a digit.
 * - Trailing "null" items (0, "", empty lists) are removed from every list, so 1.0 == 1 ==
 *   1.0.0 == 1-ga.
 * - Mixed kinds: int > list > string-qualifier (`1.1 > 1-1 > 1-sp`); when one list is shorter the
 *   missing item compares as null (`1-rc < 1 < 1-sp`, `1 < 1.1`).
 */
import { compareNumeric, compareStrings, type Cmp, type VersionComparator } from './types.js';

type Item = { t: 'int'; v: string } | { t: 'str'; v: string } | { t: 'list'; v: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function strItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  return { t: 'str', v: ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, buf: string): Item {
  if (isDigit) return { t: 'int', v: buf.replace(/^0+/, '') || '0' };
  return strItem(buf, false);
}

function isNull(i: Item): boolean {
  if (i.t === 'int') return i.v === '0';
  if (i.t === 'str') return i.v === '';
  return i.v.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== 'list') break;
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function parseMaven(version: string): Item {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let digit = false;
  let start = 0;
  const push = (): void => {
    const next: Item[] = [];
    list.push({ t: 'list', v: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.') {
      if (i === start) list.push({ t: 'int', v: '0' });
      else list.push(parseItem(digit, v.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      if (i === start) list.push({ t: 'int', v: '0' });
      else list.push(parseItem(digit, v.slice(start, i)));
      start = i + 1;
      push();
    } else if (isDigit(c)) {
      if (!digit && i > start) {
        // Maven 3.8.7+: `1.0.0.X1 < 1.0.0-X2`, a qualifier after a dot is treated as after a dash.
        if (list.length > 0) push();
        list.push(strItem(v.slice(start, i), true));
        start = i;
        push();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.push(parseItem(true, v.slice(start, i)));
        start = i;
        push();
      }
      digit = false;
    }
  }
  if (v.length > start) {
    // Same rule for a trailing qualifier: `1.0.RC` parses as `1.0-RC`.
    if (!digit && list.length > 0) push();
    list.push(parseItem(digit, v.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return { t: 'list', v: root };
}

function compareItem(a: Item, b: Item | undefined): Cmp {
  switch (a.t) {
    case 'int':
      if (!b) return a.v === '0' ? 0 : 1;
      if (b.t === 'int') return compareNumeric(a.v, b.v);
      return 1; // int > string and int > list
    case 'str':
      if (!b) return compareStrings(comparableQualifier(a.v), RELEASE_INDEX);
      if (b.t === 'str') return compareStrings(comparableQualifier(a.v), comparableQualifier(b.v));
      return -1; // qualifier < int, qualifier < list
    case 'list': {
      if (!b) {
        for (const i of a.v) {
          const r = compareItem(i, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.t === 'int') return -1;
      if (b.t === 'str') return 1;
      const n = Math.max(a.v.length, b.v.length);
      for (let k = 0; k < n; k++) {
        const l = a.v[k];
        const r = b.v[k];
        let c: Cmp;
        if (l === undefined) c = r === undefined ? 0 : (-compareItem(r, undefined) as Cmp);
        else c = compareItem(l, r);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

export function compareMaven(a: string, b: string): Cmp {
  return compareItem(parseMaven(a.trim()), parseMaven(b.trim()));
}

/** Canonical string (ComparableVersion.getCanonical), handy for debugging and tests. */
export function canonicalMaven(v: string): string {
  const render = (i: Item): string => {
    if (i.t !== 'list') return i.v;
    let s = '';
    for (const x of i.v) {
      if (s.length > 0) s += x.t === 'list' ? '-' : '.';
      s += render(x);
    }
    return s;
  };
  return render(parseMaven(v.trim()));
}

export interface MavenVersion {
  canonical: string;
}

export const maven: VersionComparator<MavenVersion> = {
  name: 'maven',
  compare: compareMaven,
  // ComparableVersion accepts any string; reject only what cannot be a Maven version at all.
  isValid: (v) => /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(v.trim()),
  parse: (v) => ({ canonical: canonicalMaven(v) }),
};
