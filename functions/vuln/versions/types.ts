/**
 * The common shape of every version comparator. Vulnerability matching needs a *total* order:
 * an advisory range is evaluated against whatever string a package manager recorded, so
 * `compare` never throws. Each comparator mirrors what the ecosystem's own tool does with odd
 * input (dpkg and rpm compare any string; PEP 440 sorts non-conforming "legacy" strings first ...)
 * and `isValid` tells callers whether the string follows the ecosystem's grammar at all.
 */
export type Cmp = -1 | 0 | 1;

export interface VersionComparator<P = unknown> {
  /** Short algorithm name (dpkg, rpm, semver ...), used in logs and the README table. */
  readonly name: string;
  compare(a: string, b: string): Cmp;
  isValid(v: string): boolean;
  /** Parsed form; throws InvalidVersionError when `isValid` is false. */
  parse(v: string): P;
}

export class InvalidVersionError extends Error {
  override name = 'InvalidVersionError';
  constructor(
    readonly scheme: string,
    readonly version: string,
  ) {
    super(`invalid ${scheme} version ${JSON.stringify(version)}`);
  }
}

export function sign(n: number): Cmp {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * Compares two non-negative decimal digit strings of any length numerically (advisories contain
 * date-like components such as 20240101120000 that overflow 2^53 once concatenated).
 */
export function compareNumeric(a: string, b: string): Cmp {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Plain code-unit (C `strcmp` / Java `compareTo` sign) comparison. */
export function compareStrings(a: string, b: string): Cmp {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAlphaCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
