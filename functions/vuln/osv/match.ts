/**
 * SBOM packages → vulnerabilities.
 *
 * 1. Each package maps to one or more OSV lookup keys (ecosystem, name, version): distro packages
 *    to the release ecosystem (`Debian:12`, `Ubuntu:22.04[:LTS]`, `Alpine:v3.20`) under their
 *    SOURCE package name and version (Debian/Ubuntu/Alpine advisories are keyed by source/origin
 *    package); language packages from their type or purl (npm, PyPI, Maven group:artifact ...).
 * 2. One SQL statement per batch of distinct keys (not one per package).
 * 3. Ranges are evaluated in JS with the ecosystem comparator (../range.ts).
 * 4. Per package, advisories that alias each other are merged into one finding: the CVE id is
 *    the primary id, the other ids are `relatedVulnerabilities`; severity is the highest of the
 *    group; fix versions are the union; fix state is fixed / not-fixed / wont-fix / unknown.
 * 5. Ignore rules (id or alias, package name/type, fix state) move findings to `ignored`.
 */
import { comparatorFor } from '../versions/index.js';
import { SEVERITY_RANK, type Severity } from './cvss.js';
import { fixVersionsFor, isAffected, type FixState } from './range.js';
import type {
  AdvisoryInfo,
  AffectedMatchRow,
  AffectedRangeRow,
  LookupKey,
  VulnDbStore,
} from './store/index.js';

export interface SbomPackage {
  name: string;
  version: string;
  /** Syft-style type: deb, apk, rpm, npm, python, java-archive, go-module, gem, dotnet, php-composer, rust-crate ... */
  type: string;
  purl?: string;
  /** Explicit OSV ecosystem (overrides the mapping). */
  ecosystem?: string;
  /** os-release ID / VERSION_ID of the image (debian 12, ubuntu 22.04, alpine 3.20.3 ...). */
  distro?: { id: string; versionId: string };
  /** Source (Debian/Ubuntu) or origin (Alpine) package, and its version when it differs. */
  sourceName?: string;
  sourceVersion?: string;
}

export interface IgnoreRule {
  /** Vulnerability id or any alias. */
  vulnerability?: string;
  package?: { name?: string; type?: string };
  fixState?: FixState;
}

export interface VulnerabilityMatch {
  id: string;
  relatedVulnerabilities: string[];
  package: SbomPackage;
  ecosystem: string;
  /** Name and version the advisory was matched on (source package for distros). */
  matchedName: string;
  matchedVersion: string;
  severity: Severity;
  cvssScore: number | null;
  cvssVector: string | null;
  summary: string | null;
  fix: { state: FixState; versions: string[] };
  /** Advisory records behind this finding. */
  advisories: string[];
}

export interface MatchResult {
  matches: VulnerabilityMatch[];
  ignored: { match: VulnerabilityMatch; rule: IgnoreRule }[];
  /** Packages no ecosystem could be derived for. */
  unmapped: SbomPackage[];
}

export interface MatchOptions {
  ignore?: readonly IgnoreRule[];
  /** Distinct (ecosystem, name) keys per SQL statement (default 1,000). */
  batchSize?: number;
}

interface Key extends LookupKey {
  version: string;
}

function major(v: string): string {
  return v.split('.')[0] ?? v;
}

function majorMinor(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}

interface Purl {
  type: string;
  namespace: string | undefined;
  name: string;
  version: string | undefined;
  qualifiers: Record<string, string>;
}

export function parsePurl(purl: string): Purl | undefined {
  const m = /^pkg:([^/]+)\/(.+?)(?:@([^?#]+))?(?:\?([^#]*))?(?:#.*)?$/.exec(purl);
  if (!m) return undefined;
  const path = m[2]!.split('/').map(decodeURIComponent);
  const name = path.pop()!;
  const qualifiers: Record<string, string> = {};
  for (const kv of (m[4] ?? '').split('&')) {
    if (!kv) continue;
    const i = kv.indexOf('=');
    if (i > 0) qualifiers[kv.slice(0, i).toLowerCase()] = decodeURIComponent(kv.slice(i + 1));
  }
  return {
    type: m[1]!.toLowerCase(),
    namespace: path.length ? path.join('/') : undefined,
    name,
    version: m[3] ? decodeURIComponent(m[3]) : undefined,
    qualifiers,
  };
}

const TYPE_ECOSYSTEM: Record<string, string> = {
  npm: 'npm',
  python: 'PyPI',
  pypi: 'PyPI',
  'java-archive': 'Maven',
  maven: 'Maven',
  jenkins: 'Maven',
  'go-module': 'Go',
  golang: 'Go',
  gem: 'RubyGems',
  dotnet: 'NuGet',
  nuget: 'NuGet',
  'php-composer': 'Packagist',
  composer: 'Packagist',
  'rust-crate': 'crates.io',
  cargo: 'crates.io',
  hex: 'Hex',
  pub: 'Pub',
};

/** Distro packages: OSV release ecosystems for an os-release id/version. */
function distroEcosystems(id: string, versionId: string): string[] {
  switch (id.toLowerCase()) {
    case 'debian':
      return [`Debian:${major(versionId)}`];
    case 'ubuntu': {
      const rel = majorMinor(versionId);
      // LTS releases are published as `Ubuntu:22.04:LTS`, others as `Ubuntu:23.10`.
      return [`Ubuntu:${rel}`, `Ubuntu:${rel}:LTS`];
    }
    case 'alpine':
      return [`Alpine:v${majorMinor(versionId)}`];
    case 'wolfi':
      return ['Wolfi'];
    case 'chainguard':
      return ['Chainguard'];
    case 'almalinux':
      return [`AlmaLinux:${major(versionId)}`];
    case 'rocky':
      return [`Rocky Linux:${major(versionId)}`];
    case 'opensuse-leap':
      return [`openSUSE:Leap ${versionId}`];
    case 'mariner':
    case 'azurelinux':
      return [`Azure Linux:${majorMinor(versionId)}`];
    default:
      return [];
  }
}

/** distro from a purl `distro=debian-12` / `alpine-3.20.3` qualifier. */
function distroFromPurl(p: Purl): { id: string; versionId: string } | undefined {
  const d = p.qualifiers.distro;
  if (!d) return undefined;
  const m = /^([a-z-]+?)-(\d[\w.]*)$/.exec(d);
  return m ? { id: m[1]!, versionId: m[2]! } : undefined;
}

/** `openssl-3.0.7-24.el9.src.rpm` → `openssl` (name-version-release). */
function srpmName(upstream: string | undefined): string | undefined {
  const m = upstream ? /^(.+)-[^-]+-[^-]+\.src\.rpm$/.exec(upstream) : null;
  return m?.[1];
}

/**
 * RPM distro advisories (AlmaLinux, Rocky, openSUSE, Azure Linux) list BINARY package names, unlike
 * Debian/Ubuntu/Alpine, which key by source package. So the binary name is looked up first, and the
 * source name as well when it differs. Versions carry the purl's `epoch=` qualifier, because OSV
 * fixed versions are full EVRs (`1:3.0.7-25.el9_3`).
 */
function rpmKeys(pkg: SbomPackage, purl: Purl | undefined, ecosystems: string[]): Key[] {
  const epoch = purl?.qualifiers.epoch;
  const withEpoch = (v: string): string => (epoch && epoch !== '0' && !v.includes(':') ? `${epoch}:${v}` : v);
  const version = withEpoch(pkg.version);
  const source = pkg.sourceName || srpmName(purl?.qualifiers.upstream);
  const keys: Key[] = [];
  for (const ecosystem of ecosystems) {
    keys.push({ ecosystem, name: pkg.name, version });
    if (source && source !== pkg.name)
      keys.push({
        ecosystem,
        name: source,
        version: pkg.sourceVersion ? withEpoch(pkg.sourceVersion) : version,
      });
  }
  return keys;
}

/** Lookup keys for one package (several for Ubuntu's LTS/non-LTS naming). */
export function lookupKeys(pkg: SbomPackage): Key[] {
  const purl = pkg.purl ? parsePurl(pkg.purl) : undefined;
  if (pkg.ecosystem) return [{ ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version }];
  const t = pkg.type.toLowerCase();
  if (
    t === 'deb' ||
    t === 'apk' ||
    t === 'rpm' ||
    purl?.type === 'deb' ||
    purl?.type === 'apk' ||
    purl?.type === 'rpm'
  ) {
    const distro = pkg.distro ?? (purl ? distroFromPurl(purl) : undefined);
    if (!distro) return [];
    const ecosystems = distroEcosystems(distro.id, distro.versionId);
    if (t === 'rpm' || purl?.type === 'rpm') return rpmKeys(pkg, purl, ecosystems);
    const name = pkg.sourceName || purl?.qualifiers.upstream?.replace(/@.*$/, '') || pkg.name;
    const version = pkg.sourceVersion || pkg.version;
    return ecosystems.map((ecosystem) => ({ ecosystem, name, version }));
  }
  const eco = TYPE_ECOSYSTEM[t] ?? (purl ? TYPE_ECOSYSTEM[purl.type] : undefined);
  if (!eco) return [];
  let name = pkg.name;
  if (purl) {
    if (eco === 'Maven' && purl.namespace) name = `${purl.namespace}:${purl.name}`;
    else if ((eco === 'npm' || eco === 'Go' || eco === 'Packagist') && purl.namespace)
      name = `${purl.namespace}/${purl.name}`;
  }
  return [{ ecosystem: eco, name, version: pkg.version }];
}

function fixStateOf(rows: AffectedMatchRow[], fixVersions: string[]): FixState {
  if (fixVersions.length > 0) return 'fixed';
  if (rows.some((r) => r.fixHint === 'wont-fix')) return 'wont-fix';
  // Only open-ended `introduced` events: the source knows there is no fix yet.
  const openEnded = rows.some((r) =>
    r.ranges.some((g) => g.events.every((e) => e.introduced !== undefined || e.limit === '*')),
  );
  return openEnded ? 'not-fixed' : 'unknown';
}

function ruleMatches(rule: IgnoreRule, m: VulnerabilityMatch): boolean {
  if (
    rule.vulnerability &&
    rule.vulnerability !== m.id &&
    !m.relatedVulnerabilities.includes(rule.vulnerability)
  )
    return false;
  if (rule.package?.name && rule.package.name !== m.package.name && rule.package.name !== m.matchedName)
    return false;
  if (rule.package?.type && rule.package.type !== m.package.type) return false;
  if (rule.fixState && rule.fixState !== m.fix.state) return false;
  return rule.vulnerability !== undefined || rule.package !== undefined || rule.fixState !== undefined;
}

/** Groups advisory rows of one package by alias connectivity (union-find over ids). */
function groupByAlias(rows: AffectedMatchRow[]): AffectedMatchRow[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const r of rows) {
    union(r.advisoryId, r.advisoryId);
    for (const a of r.aliases) union(r.advisoryId, a);
  }
  const groups = new Map<string, AffectedMatchRow[]>();
  for (const r of rows) {
    const root = find(r.advisoryId);
    const g = groups.get(root);
    if (g) g.push(r);
    else groups.set(root, [r]);
  }
  return [...groups.values()];
}

function primaryId(ids: string[]): string {
  const cves = ids.filter((i) => /^CVE-\d{4}-\d+$/.test(i)).sort();
  return cves[0] ?? [...ids].sort()[0]!;
}

/** What matching needs from the store (a `VulnDbStore` satisfies it). */
export type MatchStore = Pick<VulnDbStore, 'lookupAffected' | 'advisories'>;

export async function matchPackages(
  packages: readonly SbomPackage[],
  store: MatchStore,
  opts: MatchOptions = {},
): Promise<MatchResult> {
  // 1,000 keys per statement: measured on 200k ranges, 2,000-key statements made the planner
  // leave the per-key index probes (316 ms → ~1 s for 2,000 packages), see bench/vulndb.ts.
  const batchSize = opts.batchSize ?? 1000;
  const unmapped: SbomPackage[] = [];
  const perPackage: { pkg: SbomPackage; keys: Key[] }[] = [];
  const distinct = new Map<string, LookupKey>();
  for (const pkg of packages) {
    const keys = lookupKeys(pkg);
    if (keys.length === 0) {
      unmapped.push(pkg);
      continue;
    }
    perPackage.push({ pkg, keys });
    for (const k of keys)
      distinct.set(`${k.ecosystem}\u0000${k.name}`, { ecosystem: k.ecosystem, name: k.name });
  }
  const all = [...distinct.values()];
  const batches: LookupKey[][] = [];
  for (let i = 0; i < all.length; i += batchSize) batches.push(all.slice(i, i + batchSize));
  // Batches run concurrently on the pool (PGlite serialises them by itself).
  const byKey = new Map<string, AffectedRangeRow[]>();
  for (const rows of await Promise.all(batches.map((b) => store.lookupAffected(b)))) {
    for (const row of rows) {
      const k = `${row.ecosystem}\u0000${row.name}`;
      const list = byKey.get(k);
      if (list) list.push(row);
      else byKey.set(k, [row]);
    }
  }

  // 1. Version evaluation in JS, on the narrow rows.
  const candidates: { pkg: SbomPackage; key: Key; hits: AffectedRangeRow[] }[] = [];
  const hitIds = new Map<number, Set<string>>();
  for (const { pkg, keys } of perPackage) {
    const hits: AffectedRangeRow[] = [];
    let key: Key | undefined;
    for (const k of keys) {
      const rows =
        byKey.get(`${k.ecosystem}\u0000${k.name}`) ??
        byKey.get(`${k.ecosystem}\u0000${k.name.toLowerCase().replace(/[-_.]+/g, '-')}`);
      if (!rows) continue;
      const cmp = comparatorFor(k.ecosystem);
      for (const r of rows) {
        // Without a comparator only the explicit versions list can be trusted.
        const affected = cmp ? isAffected(k.version, r, cmp) : r.versions.includes(k.version);
        if (affected) {
          hits.push(r);
          key ??= k;
          let ids = hitIds.get(r.generation);
          if (!ids) hitIds.set(r.generation, (ids = new Set()));
          ids.add(r.advisoryId);
        }
      }
    }
    if (key) candidates.push({ pkg, key, hits });
  }

  // 2. Aliases and summaries for the matching advisories only; withdrawn ones come back absent.
  const infos = new Map<number, Map<string, AdvisoryInfo>>();
  await Promise.all([...hitIds].map(async ([g, ids]) => infos.set(g, await store.advisories(g, [...ids]))));

  const matches: VulnerabilityMatch[] = [];
  const ignored: MatchResult['ignored'] = [];
  for (const { pkg, key, hits: ranged } of candidates) {
    const hits: AffectedMatchRow[] = [];
    for (const r of ranged) {
      const info = infos.get(r.generation)?.get(r.advisoryId);
      if (info) hits.push({ ...r, ...info });
    }
    if (hits.length === 0) continue;
    const cmp = comparatorFor(key.ecosystem);
    for (const group of groupByAlias(hits)) {
      const ids = [...new Set(group.flatMap((r) => [r.advisoryId, ...r.aliases]))];
      const id = primaryId(ids);
      const best = [...group].sort(
        (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (b.score ?? -1) - (a.score ?? -1),
      )[0]!;
      const fixVersions = cmp ? [...new Set(group.flatMap((r) => fixVersionsFor(key!.version, r, cmp)))] : [];
      if (cmp && fixVersions.length > 1) fixVersions.sort((a, b) => cmp.compare(a, b));
      const m: VulnerabilityMatch = {
        id,
        relatedVulnerabilities: ids.filter((x) => x !== id).sort(),
        package: pkg,
        ecosystem: key.ecosystem,
        matchedName: key.name,
        matchedVersion: key.version,
        severity: best.severity,
        cvssScore: best.score,
        cvssVector: best.vector,
        summary: group.find((r) => r.summary)?.summary ?? null,
        fix: { state: fixStateOf(group, fixVersions), versions: fixVersions },
        advisories: [...new Set(group.map((r) => r.advisoryId))].sort(),
      };
      const rule = opts.ignore?.find((r) => ruleMatches(r, m));
      if (rule) ignored.push({ match: m, rule });
      else matches.push(m);
    }
  }
  return { matches, ignored, unmapped };
}
