/**
 * Version comparators per OSV ecosystem. `comparatorFor('Debian:12')` → dpkg, etc.: the part
 * after the first `:` (release, repository URL) never changes the ordering rules.
 */
import { apk } from './apk.js';
import { composer } from './composer.js';
import { dpkg } from './dpkg.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import { goVersion, semver } from './semver.js';
import type { VersionComparator } from './types.js';

export type { Cmp, VersionComparator } from './types.js';
export { InvalidVersionError, compareNumeric } from './types.js';
export { apk, compareApk } from './apk.js';
export { composer, compareComposer, normalizeComposer, phpVersionCompare } from './composer.js';
export { dpkg, compareDpkg } from './dpkg.js';
export { maven, compareMaven, canonicalMaven } from './maven.js';
export { nuget, compareNuget } from './nuget.js';
export { pep440, comparePep440, normalizePep440 } from './pep440.js';
export { rpm, compareRpm } from './rpm.js';
export { rubygems, compareGem } from './rubygems.js';
export { semver, goVersion, compareSemver } from './semver.js';

/** Base ecosystem name (before the first ':') → comparator. */
export const ECOSYSTEM_COMPARATORS: Readonly<Record<string, VersionComparator>> = {
  Debian: dpkg,
  Ubuntu: dpkg,
  Alpine: apk,
  Chainguard: apk,
  Wolfi: apk,
  MinimOS: apk,
  'Red Hat': rpm,
  AlmaLinux: rpm,
  'Rocky Linux': rpm,
  openSUSE: rpm,
  SUSE: rpm,
  'Azure Linux': rpm,
  Mageia: rpm,
  openEuler: rpm,
  'Photon OS': rpm,
  Fedora: rpm,
  'Amazon Linux': rpm,
  'Oracle Linux': rpm,
  npm: semver,
  'crates.io': semver,
  Hex: semver,
  Pub: semver,
  SwiftURL: semver,
  ConanCenter: semver,
  Bitnami: semver,
  Go: goVersion,
  Kubernetes: goVersion,
  PyPI: pep440,
  Maven: maven,
  RubyGems: rubygems,
  NuGet: nuget,
  Packagist: composer,
};

export function baseEcosystem(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

/** The comparator for an OSV ecosystem (with or without release suffix); undefined if unsupported. */
export function comparatorFor(ecosystem: string): VersionComparator | undefined {
  return ECOSYSTEM_COMPARATORS[baseEcosystem(ecosystem)];
}
