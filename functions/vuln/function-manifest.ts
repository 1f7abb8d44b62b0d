/**
 * VulnerabilityManifest (Kubescape's Grype-shaped payload) and VulnerabilityManifestSummary
 * objects, as kubevuln writes them (reference/operator.md §2.3, storage-api.md §1.2–1.3, §3):
 *
 *  - image manifest: name = image slug, kubescape namespace, label context=non-filtered;
 *  - relevant manifest: name = instance-ID slug of the container, label context=filtered,
 *    `spec.metadata.withRelevancy: true`, annotations instance-id and wlid;
 *  - summary: `<kind>-<name>-<container>` in the workload's namespace, severities {all, relevant}
 *    and references to both manifests.
 *
 * Everything here is a pure function of its inputs (no clock reads), so the same scan written
 * twice is the same object.
 */
import { ANNOTATIONS, API_VERSION, CONTEXT, KINDS, LABELS, PLURALS, SEVERITIES, STATUS, type Severity } from '../../lib/api/constants.js';
import { imageLabelValue, instanceId, instanceSlug, labelValue, vulnerabilitySummaryName, wlid, type InstanceRef } from '../../lib/api/names.js';
import type { GrypeDocument, Match, SeveritySummary, VulnerabilityManifest, VulnerabilityManifestSummary } from '../../lib/api/schemas.js';
import type { SeverityCounts, WorkloadContainer } from '../../lib/events/index.js';
import { tryParseCvss } from './osv/cvss.js';
import type { IgnoreRule, MatchResult, VulnerabilityMatch } from './osv/match.js';
import type { ScanPackage } from './function-sbom.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

/** Version of the vulnerability DB a manifest was matched against (its content hash) and when it was built. */
export interface DbVersion {
  version: string;
  builtAt: string | null;
}

/** Annotation holding the SBOM cache key (digest | platform | cataloger version) the manifest was computed from. */
export const SBOM_KEY_ANNOTATION = 'kscape.io/sbom-cache-key';
/** Annotation holding a fingerprint of the matching configuration (ignore rules): a change re-matches. */
export const MATCH_CONFIG_ANNOTATION = 'kscape.io/match-config';

const osvLink = (id: string): string => `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;

const LANGUAGE: Record<string, string> = {
  npm: 'javascript',
  python: 'python',
  'go-module': 'go',
  'java-archive': 'java',
  gem: 'ruby',
  'php-composer': 'php',
  dotnet: 'dotnet',
  'rust-crate': 'rust',
};

const MATCHER: Record<string, string> = {
  deb: 'dpkg-matcher',
  apk: 'apk-matcher',
  rpm: 'rpm-matcher',
  npm: 'javascript-matcher',
  python: 'python-matcher',
  'go-module': 'go-module-matcher',
  'java-archive': 'java-matcher',
  gem: 'ruby-gem-matcher',
  dotnet: 'dotnet-matcher',
};

function cvssOf(m: VulnerabilityMatch): NonNullable<Match['vulnerability']['cvss']> {
  if (!m.cvssVector) return [];
  const parsed = tryParseCvss(m.cvssVector);
  return [
    {
      version: parsed?.version ?? '',
      vector: m.cvssVector,
      metrics: { baseScore: parsed?.baseScore ?? m.cvssScore ?? undefined },
    },
  ];
}

function toGrypeMatch(m: VulnerabilityMatch, pkg: ScanPackage): Match {
  const namespace = `osv:${m.ecosystem.toLowerCase()}`;
  const indirect = m.matchedName !== pkg.name;
  return {
    vulnerability: {
      id: m.id,
      dataSource: osvLink(m.advisories[0] ?? m.id),
      namespace,
      severity: m.severity,
      urls: m.advisories.map(osvLink),
      description: m.summary ?? '',
      cvss: cvssOf(m),
      fix: { versions: m.fix.versions, state: m.fix.state },
      advisories: [],
    },
    relatedVulnerabilities: m.relatedVulnerabilities.map((id) => ({ id, dataSource: osvLink(id), namespace, urls: [osvLink(id)] })),
    matchDetails: [
      {
        type: indirect ? 'exact-indirect-match' : 'exact-direct-match',
        matcher: MATCHER[pkg.type] ?? 'stock-matcher',
        searchedBy: { namespace, ecosystem: m.ecosystem, package: { name: m.matchedName, version: m.matchedVersion } },
        found: { vulnerabilityID: m.id, advisories: m.advisories },
      },
    ],
    artifact: {
      name: pkg.name,
      version: pkg.version,
      type: pkg.type,
      locations: pkg.locations.map((l) => ({ path: l.path, ...(l.layerID ? { layerID: l.layerID } : {}) })),
      language: LANGUAGE[pkg.type] ?? '',
      licenses: pkg.licenses,
      cpes: [],
      purl: pkg.purl,
      upstreams: pkg.sourceName ? [{ name: pkg.sourceName, ...(pkg.sourceVersion ? { version: pkg.sourceVersion } : {}) }] : [],
    },
  };
}

const matchOrder = (a: Match, b: Match): number =>
  a.artifact.name.localeCompare(b.artifact.name) || (a.artifact.version ?? '').localeCompare(b.artifact.version ?? '') || (a.artifact.purl ?? '').localeCompare(b.artifact.purl ?? '') || a.vulnerability.id.localeCompare(b.vulnerability.id);

function ruleOf(r: IgnoreRule): Record<string, unknown> {
  return {
    ...(r.vulnerability ? { vulnerability: r.vulnerability } : {}),
    ...(r.fixState ? { 'fix-state': r.fixState } : {}),
    ...(r.package ? { package: { ...(r.package.name ? { name: r.package.name } : {}), ...(r.package.type ? { type: r.package.type } : {}) } } : {}),
  };
}

/** The Grype-shaped payload for one match result. `packages` are the matcher's input, in the same order. */
export function grypeDocument(opts: {
  image: string;
  digest: string;
  packages: readonly ScanPackage[];
  result: MatchResult;
  /** The SbomPackage objects passed to matchPackages, index-aligned with `packages`. */
  matched: readonly object[];
  distro?: { name: string; version: string };
  db: DbVersion;
}): GrypeDocument {
  const byInput = new Map<object, ScanPackage>();
  opts.matched.forEach((m, i) => byInput.set(m, opts.packages[i]!));
  const pkgOf = (m: VulnerabilityMatch): ScanPackage => byInput.get(m.package) ?? ({ spdxId: '', name: m.package.name, version: m.package.version, type: m.package.type, purl: m.package.purl ?? '', licenses: [], locations: [], files: [] } satisfies ScanPackage);
  return {
    matches: opts.result.matches.map((m) => toGrypeMatch(m, pkgOf(m))).sort(matchOrder),
    ignoredMatches: opts.result.ignored.map(({ match, rule }) => ({ ...toGrypeMatch(match, pkgOf(match)), appliedIgnoreRules: [ruleOf(rule)] })).sort(matchOrder),
    source: { type: 'image', target: { userInput: opts.image, manifestDigest: opts.digest, imageID: opts.digest } },
    distro: opts.distro ? { name: opts.distro.name, version: opts.distro.version, idLike: [] } : { name: '', version: '', idLike: [] },
    descriptor: { name: TOOL_NAME, version: TOOL_VERSION, db: { source: 'osv', checksum: opts.db.version, built: opts.db.builtAt } },
  };
}

const zeroCounts = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 });

/** Matches per severity (Grype's severity words, lower-cased keys). */
export function severityCounts(doc: Pick<GrypeDocument, 'matches'> | undefined): SeverityCounts {
  const c = zeroCounts();
  for (const m of doc?.matches ?? []) {
    const s = (SEVERITIES as readonly string[]).includes(m.vulnerability.severity ?? '') ? (m.vulnerability.severity as Severity) : 'Unknown';
    c[s.toLowerCase() as keyof SeverityCounts]++;
  }
  return c;
}

export interface ManifestIdentity {
  image: string;
  digest: string;
  namespace: string;
  sbomKey: string;
  createdAt: string;
  /** Fingerprint of the ignore rules the matches were filtered with. */
  matchConfig: string;
}

function imageLabels(image: string, digest: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const tag = imageLabelValue(image);
  if (tag) labels[LABELS.imageTag] = tag;
  const id = imageLabelValue(digest);
  if (id) labels[LABELS.imageId] = id;
  return labels;
}

function imageAnnotations(id: ManifestIdentity): Record<string, string> {
  return {
    [ANNOTATIONS.imageId]: id.digest,
    [ANNOTATIONS.imageTag]: id.image,
    [ANNOTATIONS.status]: STATUS.ready,
    [ANNOTATIONS.toolVersion]: `${TOOL_NAME}-${TOOL_VERSION}`,
    [SBOM_KEY_ANNOTATION]: id.sbomKey,
    [MATCH_CONFIG_ANNOTATION]: id.matchConfig,
  };
}

/** The image-level VulnerabilityManifest (all packages). */
export function imageManifest(id: ManifestIdentity & { name: string }, payload: GrypeDocument, db: DbVersion): VulnerabilityManifest {
  return {
    apiVersion: API_VERSION,
    kind: KINDS.VulnerabilityManifest,
    metadata: {
      name: id.name,
      namespace: id.namespace,
      labels: { ...imageLabels(id.image, id.digest), [LABELS.context]: CONTEXT.nonFiltered },
      annotations: imageAnnotations(id),
    },
    spec: {
      metadata: { withRelevancy: false, tool: { name: TOOL_NAME, version: TOOL_VERSION, databaseVersion: db.version }, report: { createdAt: id.createdAt } },
      payload,
    },
  } as VulnerabilityManifest;
}

/** Workload labels of one container, as Kubescape's instance-ID labels (raw kind: Deployment). */
export function workloadLabels(w: Pick<WorkloadContainer, 'apiVersion' | 'kind' | 'name' | 'namespace' | 'container'>): Record<string, string> {
  const [group, version] = w.apiVersion.includes('/') ? w.apiVersion.split('/', 2) : ['', w.apiVersion];
  const raw: Record<string, string | undefined> = {
    [LABELS.workloadApiGroup]: group || undefined,
    [LABELS.workloadApiVersion]: version,
    [LABELS.workloadKind]: w.kind,
    [LABELS.workloadName]: w.name,
    [LABELS.workloadNamespace]: w.namespace,
    [LABELS.workloadContainerName]: w.container,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const lv = v === undefined ? undefined : labelValue(v);
    if (lv) out[k] = lv;
  }
  return out;
}

const CONTAINER_TYPE = { containers: 'container', initContainers: 'initContainer', ephemeralContainers: 'ephemeralContainer' } as const;

export function instanceRefOf(w: WorkloadContainer): InstanceRef {
  return { apiVersion: w.apiVersion, namespace: w.namespace, kind: w.kind, name: w.name, containerName: w.container, containerType: CONTAINER_TYPE[w.containerType] };
}

/** Name of the relevant-only manifest and of the filtered SBOM of one container. */
export const relevantName = (w: WorkloadContainer): string => instanceSlug(instanceRefOf(w));

/** The relevant-only VulnerabilityManifest of one container. */
export function relevantManifest(id: ManifestIdentity, w: WorkloadContainer, cluster: string, payload: GrypeDocument, db: DbVersion, extra: Record<string, string>): VulnerabilityManifest {
  return {
    apiVersion: API_VERSION,
    kind: KINDS.VulnerabilityManifest,
    metadata: {
      name: relevantName(w),
      namespace: id.namespace,
      labels: { ...imageLabels(id.image, id.digest), ...workloadLabels(w), [LABELS.context]: CONTEXT.filtered },
      annotations: {
        ...imageAnnotations(id),
        [ANNOTATIONS.instanceId]: instanceId(instanceRefOf(w)),
        [ANNOTATIONS.wlid]: wlid(cluster, w.namespace, w.kind, w.name),
        [ANNOTATIONS.workloadContainerName]: w.container,
        ...extra,
      },
    },
    spec: {
      metadata: { withRelevancy: true, tool: { name: TOOL_NAME, version: TOOL_VERSION, databaseVersion: db.version }, report: { createdAt: id.createdAt } },
      payload,
    },
  } as VulnerabilityManifest;
}

export interface ManifestRef {
  namespace: string;
  name: string;
  counts: SeverityCounts;
  createdAt: string;
}

/** The summary of one workload container: `all` from the image manifest, `relevant` from the filtered one when it exists. */
export function summaryObject(w: WorkloadContainer, cluster: string, image: string, digest: string, all: ManifestRef, relevant?: ManifestRef): VulnerabilityManifestSummary {
  const severities: Record<string, { all: number; relevant?: number }> = {};
  for (const s of SEVERITIES) {
    const k = s.toLowerCase() as keyof SeverityCounts;
    severities[k] = { all: all.counts[k], ...(relevant ? { relevant: relevant.counts[k] } : {}) };
  }
  const ref = (m: ManifestRef) => ({ namespace: m.namespace, name: m.name, kind: PLURALS.VulnerabilityManifest });
  return {
    apiVersion: API_VERSION,
    kind: KINDS.VulnerabilityManifestSummary,
    metadata: {
      name: vulnerabilitySummaryName(w.kind, w.name, w.container),
      namespace: w.namespace,
      labels: { ...workloadLabels(w), [LABELS.context]: relevant ? CONTEXT.filtered : CONTEXT.nonFiltered },
      annotations: {
        [ANNOTATIONS.wlid]: wlid(cluster, w.namespace, w.kind, w.name),
        [ANNOTATIONS.imageId]: digest,
        [ANNOTATIONS.imageTag]: image,
        [ANNOTATIONS.workloadContainerName]: w.container,
        [ANNOTATIONS.status]: STATUS.ready,
        [ANNOTATIONS.timestamp]: String(Math.floor(Date.parse(relevant && relevant.createdAt > all.createdAt ? relevant.createdAt : all.createdAt) / 1000)),
      },
    },
    spec: {
      severities: severities as SeveritySummary,
      vulnerabilitiesRef: { all: ref(all), ...(relevant ? { relevant: ref(relevant) } : {}) },
    },
  } as VulnerabilityManifestSummary;
}
