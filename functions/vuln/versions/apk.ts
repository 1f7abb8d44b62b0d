/**
 * Alpine apk version comparison, ported from apk-tools' version.c (`apk_version_compare`):
 *
 *   number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}
 *
 * Tokens are read left to right with a small state machine; a token is only valid after certain
 * others (a letter after a digit, a suffix after a number/letter/suffix, `-r` last). Ordering:
 * - numbers numerically; a component with leading zeros (after a dot, `1.01`) counts the zeros as
 *   a negative value and the digits after them as the next token (apk-tools' special case;
 *   such versions do not occur in Alpine's aports and are not covered by vectors);
 * - pre-release suffixes `_alpha < _beta < _pre < _rc` sort BEFORE the bare version, post-release
 *   suffixes `_cvs < _svn < _git < _hg < _p` after it;
 * - when all shared tokens are equal, the longer version is newer unless it continues with a
 *   pre-release suffix; `-rN` is the package revision.
 * A `~<hex>` commit-hash part (apk-tools 2.12+) does not take part in ordering.
 */
import { InvalidVersionError, isDigitCode, type Cmp, type VersionComparator } from './types.js';

// Token types, ordered as apk-tools' enum: the order matters in the final comparison.
const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

const PRE = ['alpha', 'beta', 'pre', 'rc'];
const POST = ['cvs', 'svn', 'git', 'hg', 'p'];

class Reader {
  pos = 0;
  type = DIGIT;
  constructor(readonly s: string) {}

  private nextToken(): void {
    const s = this.s;
    let n = INVALID;
    const c = s[this.pos];
    if (this.pos >= s.length) n = END;
    else if ((this.type === DIGIT || this.type === DIGIT_OR_ZERO) && c >= 'a' && c <= 'z') n = LETTER;
    else if (this.type === LETTER && isDigitCode(s.charCodeAt(this.pos))) n = DIGIT;
    else if (this.type === SUFFIX && isDigitCode(s.charCodeAt(this.pos))) n = SUFFIX_NO;
    else {
      if (c === '.') n = DIGIT_OR_ZERO;
      else if (c === '_') n = SUFFIX;
      else if (c === '-') {
        if (s[this.pos + 1] === 'r') {
          n = REVISION_NO;
          this.pos++;
        } else n = INVALID;
      }
      this.pos++;
    }
    if (n < this.type) {
      const ok =
        (n === DIGIT_OR_ZERO && this.type === DIGIT) ||
        (n === SUFFIX && this.type === SUFFIX_NO) ||
        (n === DIGIT && this.type === LETTER);
      if (!ok) n = INVALID;
    }
    this.type = n;
  }

  /** Reads the value of the current token and advances the type to the next token. */
  token(): number {
    const s = this.s;
    let v = 0;
    let nt = INVALID;
    if (this.pos >= s.length) {
      this.type = END;
      return 0;
    }
    let i = this.pos;
    let handled = false;
    // Leading zeros of a dotted component ("1.01") are counted as a negative value and the
    // digits after them read as the next token, as apk does; a bare "0" is simply zero.
    if (this.type === DIGIT_OR_ZERO && s[i] === '0' && /^0+[0-9]/.test(s.slice(i, i + 32))) {
      while (i < s.length && s[i] === '0') i++;
      nt = DIGIT;
      v = -(i - this.pos);
      handled = true;
    }
    if (!handled) {
      switch (this.type) {
        case DIGIT_OR_ZERO:
        case DIGIT:
        case SUFFIX_NO:
        case REVISION_NO:
          while (i < s.length && isDigitCode(s.charCodeAt(i))) {
            v = v * 10 + (s.charCodeAt(i) - 48);
            i++;
          }
          break;
        case LETTER:
          v = s.charCodeAt(i);
          i++;
          break;
        case SUFFIX: {
          const rest = s.slice(i);
          const pre = PRE.findIndex((p) => rest.startsWith(p));
          if (pre >= 0) {
            i += PRE[pre]!.length;
            v = pre - PRE.length;
            nt = SUFFIX_NO;
            break;
          }
          const post = POST.findIndex((p) => rest.startsWith(p));
          if (post >= 0) {
            i += POST[post]!.length;
            v = post;
            nt = SUFFIX_NO;
            break;
          }
          this.type = INVALID;
          return -1;
        }
        default:
          this.type = INVALID;
          return -1;
      }
    }
    this.pos = i;
    // A suffix name that ends the string ("1.0_cvs", "1.0_alpha") carries an implicit number 0,
    // so it still ranks as a suffix rather than as the end of the version.
    if (this.pos >= s.length && nt === SUFFIX_NO) this.type = SUFFIX_NO;
    else if (this.pos >= s.length) this.type = END;
    else if (nt !== INVALID) this.type = nt;
    else this.nextToken();
    return v;
  }
}

/** Removes the `~<hash>` part, which apk ignores for ordering. */
function stripHash(v: string): string {
  return v.trim().replace(/~[0-9a-f]+(?=-r[0-9]+$|$)/, '');
}

export function compareApk(a: string, b: string): Cmp {
  const ra = new Reader(stripHash(a));
  const rb = new Reader(stripHash(b));
  let av = 0;
  let bv = 0;
  while (ra.type === rb.type && ra.type !== END && ra.type !== INVALID && av === bv) {
    av = ra.token();
    bv = rb.token();
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (ra.type === rb.type) return 0;
  // Equal so far: the longer version is newer unless it continues with a pre-release suffix.
  if (ra.type === SUFFIX && ra.token() < 0) return -1;
  if (rb.type === SUFFIX && rb.token() < 0) return 1;
  if (ra.type > rb.type) return -1;
  if (rb.type > ra.type) return 1;
  return 0;
}

export function isValidApk(v: string): boolean {
  const s = stripHash(v);
  // A version may not end in a separator ("1.0.", "1.0-r"), which apk rejects.
  if (!/^[0-9]/.test(s) || /(?:-r|[._-])$/.test(s)) return false;
  const r = new Reader(s);
  while (r.type !== END && r.type !== INVALID) r.token();
  return r.type === END;
}

export interface ApkVersion {
  raw: string;
}

export const apk: VersionComparator<ApkVersion> = {
  name: 'apk',
  compare: compareApk,
  isValid: isValidApk,
  parse(v) {
    if (!isValidApk(v)) throw new InvalidVersionError('apk', v);
    return { raw: v.trim() };
  },
};
