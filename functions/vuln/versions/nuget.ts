/**
 * NuGet versions (NuGet.Versioning `NuGetVersion`/`VersionComparer.Default`):
 * `Major.Minor[.Patch[.Revision]][-prerelease][+metadata]`. Missing components are 0, so
 * `1.0` == `1.0.0.0`; release labels follow SemVer 2.0 precedence but compare
 * case-insensitively (NuGet treats `1.0.0-Beta` and `1.0.0-beta` as the same version); metadata
 * is ignored.
 */
import {
  compareNumeric,
  compareStrings,
  InvalidVersionError,
  type Cmp,
  type VersionComparator,
} from './types.js';
import { comparePrerelease, compareRelease, type SemVer } from './semver.js';

const RE =
  /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseNuget(v: string): SemVer {
  const m = RE.exec(v.trim());
  if (!m) throw new InvalidVersionError('nuget', v);
  const release = [m[1]!, m[2] ?? '0', m[3] ?? '0', m[4] ?? '0'];
  return { release, prerelease: m[5] ? m[5].split('.') : [], build: m[6] ? m[6].split('.') : [] };
}

function compareLabel(a: string, b: string): Cmp {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return compareNumeric(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a.toLowerCase(), b.toLowerCase());
}

function lenient(v: string): SemVer {
  try {
    return parseNuget(v.replace(/^v/i, ''));
  } catch {
    // Unparseable strings sort before every real version, among themselves as text.
    return { release: ['-1'], prerelease: [v], build: [] };
  }
}

export function compareNuget(a: string, b: string): Cmp {
  const x = lenient(a);
  const y = lenient(b);
  if (x.release[0] === '-1' || y.release[0] === '-1') {
    if (x.release[0] === '-1' && y.release[0] === '-1') return compareStrings(a, b);
    return x.release[0] === '-1' ? -1 : 1;
  }
  return compareRelease(x.release, y.release) || comparePrerelease(x.prerelease, y.prerelease, compareLabel);
}

export const nuget: VersionComparator<SemVer> = {
  name: 'nuget',
  compare: compareNuget,
  isValid: (v) => RE.test(v.trim()),
  parse: parseNuget,
};
