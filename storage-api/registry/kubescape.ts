/**
 * The nine kinds of `spdx.softwarecomposition.kubescape.io/v1beta1` as ResourceDefinitions.
 *
 * Compatibility: plural/singular/kind/scope are Kubescape's exactly (reference/storage-api.md §1.0).
 * Kubescape advertises no short names and no categories; we add both (short names chosen not to
 * collide with well-known CRDs, e.g. `vs` is Istio's; category `kubescape` so `kubectl get
 * kubescape -A` lists every result). Kubescape prints only NAME / CREATED AT: our columns read the
 * small `summary` stored at write time, never the body, so Table lists of 20 MB SBOMs stay cheap.
 *
 * Virtual kinds (read-only; computed by the engine from the sources' metadata + summaries):
 * - ConfigurationScanSummary: cluster-scoped, one per namespace, from WorkloadConfigurationScanSummaries;
 * - VulnerabilitySummary: cluster-scoped, one per namespace, from VulnerabilityManifestSummaries;
 * - SBOMSummary: namespaced, 1:1 with SBOMSPDXv2p3 (same namespace, name, labels, annotations).
 * Kubescape stamps "now" as creationTimestamp of VulnerabilitySummary (and none on
 * ConfigurationScanSummary); we use the oldest source's, so repeated GETs are identical, and the
 * largest source resourceVersion, so clients can tell when an aggregate changed.
 */
import { createHash } from 'node:crypto';
import {
  ANNOTATIONS,
  API_VERSION,
  CONTROL_SEVERITIES,
  GROUP,
  KINDS,
  LABELS,
  PLURALS,
  VERSION,
  objectSchema,
  type ControlSeverity,
  type KindName,
} from '../../lib/api/index.js';
import type { KubeObject, PrinterColumn, ResourceDefinition, RowSource, VirtualSource } from './types.js';

const MiB = 1024 * 1024;
const RW_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const RO_VERBS = ['get', 'list', 'watch'];
const CATEGORIES = ['kubescape'];

// ---------------------------------------------------------------------------------------------
// Small readers over untyped JSON (objects arrive as validated-but-open JSON).

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const specOf = (o: KubeObject): Json => obj(o.spec);
const annotationsOf = (m: Json): Record<string, string> => obj(m.annotations) as Record<string, string>;
const labelsOf = (m: Json): Record<string, string> => obj(m.labels) as Record<string, string>;

/** The summary if the engine stored one, else the summary recomputed from the full object (virtual rows). */
const NO_SUMMARY: Json = Object.freeze({});

function summaryOf(src: RowSource, summarize: (o: KubeObject) => Json): Json {
  if (src.summary) return src.summary;
  if (src.object) return summarize(src.object);
  return NO_SUMMARY;
}

/** Split paths: printer cells look up the same few paths once per row of 10,000-row tables. */
const splitPaths = new Map<string, string[]>();

/** Path lookup `a.b.c` in a summary. */
function at(v: Json, path: string): unknown {
  let keys = splitPaths.get(path);
  if (!keys) splitPaths.set(path, (keys = path.split('.')));
  let cur: unknown = v;
  for (const k of keys) cur = obj(cur)[k];
  return cur;
}

function col(
  name: string,
  type: PrinterColumn['type'],
  description: string,
  read: (src: RowSource) => unknown,
  priority = 0,
): PrinterColumn {
  // Columns here read the summary (or the object, for virtual rows); labelCol reads the labels.
  return { name, type, description, priority, value: read, readsMetadata: 'none' };
}

// ---------------------------------------------------------------------------------------------
// Severity helpers

const VULN_LEVELS = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
type VulnLevel = (typeof VULN_LEVELS)[number];
type Counters = { all: number; relevant: number };
type VulnCounts = Record<VulnLevel, Counters>;

const zeroVulnCounts = (): VulnCounts =>
  Object.fromEntries(VULN_LEVELS.map((l) => [l, { all: 0, relevant: 0 }])) as VulnCounts;

function vulnLevel(severity: unknown): VulnLevel {
  const s = typeof severity === 'string' ? severity.toLowerCase() : '';
  return (VULN_LEVELS as readonly string[]).includes(s) ? (s as VulnLevel) : 'unknown';
}

/** Kubescape's bucketing of control score factors (same thresholds as the UI/CLI). */
export function controlSeverityOf(control: Json): ControlSeverity {
  const sev = obj(control.severity);
  const s = typeof sev.severity === 'string' ? sev.severity.toLowerCase() : '';
  if ((CONTROL_SEVERITIES as readonly string[]).includes(s)) return s as ControlSeverity;
  const f = num(sev.scoreFactor);
  if (f >= 9) return 'critical';
  if (f >= 7) return 'high';
  if (f >= 4) return 'medium';
  if (f >= 1) return 'low';
  return 'unknown';
}

const SEVERITY_RANK: Record<ControlSeverity, number> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
  unknown: 0,
};

function highest(sevs: Iterable<ControlSeverity>): ControlSeverity | undefined {
  let best: ControlSeverity | undefined;
  for (const s of sevs) if (best === undefined || SEVERITY_RANK[s] > SEVERITY_RANK[best]) best = s;
  return best;
}

const zeroControlCounts = (): Record<ControlSeverity, number> => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  unknown: 0,
});

// ---------------------------------------------------------------------------------------------
// summarize() per kind. Summaries are small, flat and stable: printer columns and virtual kinds
// read nothing else. Changing a summary's shape requires re-summarising stored objects.

/** VulnerabilityManifest: match count, per-severity counts, image, tool. */
export function summarizeVulnerabilityManifest(o: KubeObject): Json {
  const spec = specOf(o);
  const meta = obj(spec.metadata);
  const payload = obj(spec.payload);
  const counts = Object.fromEntries(VULN_LEVELS.map((l) => [l, 0])) as Record<VulnLevel, number>;
  const matches = arr(payload.matches);
  for (const m of matches) counts[vulnLevel(obj(obj(m).vulnerability).severity)]++;
  const ann = annotationsOf(o.metadata);
  const target = obj(obj(payload.source).target);
  return {
    image: ann[ANNOTATIONS.imageTag] ?? ann[ANNOTATIONS.imageId] ?? strOf(target.userInput) ?? null,
    imageID: ann[ANNOTATIONS.imageId] ?? strOf(target.imageID) ?? null,
    matches: matches.length,
    severities: counts,
    withRelevancy: meta.withRelevancy === true,
    tool: strOf(obj(meta.tool).name) ?? null,
    toolVersion: strOf(obj(meta.tool).version) ?? null,
    databaseVersion: strOf(obj(meta.tool).databaseVersion) ?? null,
  };
}

/** VulnerabilityManifestSummary: the severity counters (all / relevant) and the refs. */
export function summarizeVulnerabilityManifestSummary(o: KubeObject): Json {
  const spec = specOf(o);
  const sev = obj(spec.severities);
  const severities = zeroVulnCounts();
  for (const l of VULN_LEVELS) {
    const c = obj(sev[l]);
    severities[l] = { all: num(c.all), relevant: num(c.relevant) };
  }
  return { severities, vulnerabilitiesRef: obj(spec.vulnerabilitiesRef) };
}

/** WorkloadConfigurationScan: control counts by status and highest failed severity. */
export function summarizeWorkloadConfigurationScan(o: KubeObject): Json {
  const controls = Object.values(obj(specOf(o).controls)).map(obj);
  const failedSev = zeroControlCounts();
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  for (const c of controls) {
    const status = strOf(obj(c.status).status);
    if (status === 'failed') {
      failed++;
      failedSev[controlSeverityOf(c)]++;
    } else if (status === 'passed') passed++;
    else skipped++;
  }
  const hi = highest(CONTROL_SEVERITIES.filter((s) => failedSev[s] > 0));
  return {
    controls: controls.length,
    failed,
    passed,
    skipped,
    severities: failedSev,
    highestSeverity: hi ?? null,
  };
}

/** WorkloadConfigurationScanSummary: severities as written, plus control counts. */
export function summarizeWorkloadConfigurationScanSummary(o: KubeObject): Json {
  const spec = specOf(o);
  const sev = obj(spec.severities);
  const severities = zeroControlCounts();
  for (const s of CONTROL_SEVERITIES) severities[s] = num(sev[s]);
  const controls = Object.values(obj(spec.controls)).map(obj);
  const failed = controls.filter((c) => strOf(obj(c.status).status) === 'failed').length;
  const passed = controls.filter((c) => strOf(obj(c.status).status) === 'passed').length;
  const hi = highest(CONTROL_SEVERITIES.filter((s) => severities[s] > 0));
  return { severities, controls: controls.length, failed, passed, highestSeverity: hi ?? null };
}

/** SBOMSPDXv2p3(Filtered): package and file counts, tool, image. */
export function summarizeSbom(o: KubeObject): Json {
  const spec = specOf(o);
  const meta = obj(spec.metadata);
  const spdx = obj(spec.spdx);
  const ann = annotationsOf(o.metadata);
  return {
    image: ann[ANNOTATIONS.imageTag] ?? ann[ANNOTATIONS.imageId] ?? strOf(spdx.name) ?? null,
    imageID: ann[ANNOTATIONS.imageId] ?? null,
    packages: arr(spdx.packages).length,
    files: arr(spdx.files).length,
    tool: strOf(obj(meta.tool).name) ?? null,
    toolVersion: strOf(obj(meta.tool).version) ?? null,
    createdAt: strOf(obj(meta.report).createdAt) ?? null,
  };
}

/** Virtual summaries are summaries of their already-computed spec. */
function summarizeVulnerabilitySummary(o: KubeObject): Json {
  const s = summarizeVulnerabilityManifestSummary(o);
  return { severities: s.severities, refs: arr(specOf(o).vulnerabilitiesRef).length };
}
function summarizeConfigurationScanSummary(o: KubeObject): Json {
  const sev = obj(specOf(o).severities);
  const severities = zeroControlCounts();
  for (const s of CONTROL_SEVERITIES) severities[s] = num(sev[s]);
  return { severities, refs: arr(specOf(o).summaryRef).length };
}
function summarizeSbomSummary(o: KubeObject): Json {
  const spec = specOf(o);
  return { image: strOf(spec.image) ?? null, packages: num(spec.packages), files: num(spec.files) };
}

// ---------------------------------------------------------------------------------------------
// Virtual sources

/** Deterministic UID for a computed object (RFC 4122 layout, version nibble 5, from sha256). */
export function virtualUid(kind: string, namespace: string, name: string): string {
  const h = createHash('sha256').update(`${kind}\0${namespace}\0${name}`).digest('hex');
  const v = `5${h.slice(13, 16)}`;
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16) + h.slice(17, 20);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${v}-${variant}-${h.slice(20, 32)}`;
}

/** Largest decimal resourceVersion (numeric compare: longer is greater, then lexicographic). */
function maxRv(sources: RowSource[]): string | undefined {
  let best: string | undefined;
  for (const s of sources) {
    const rv = s.metadata.resourceVersion;
    if (typeof rv !== 'string' || !/^\d+$/.test(rv)) continue;
    if (best === undefined || rv.length > best.length || (rv.length === best.length && rv > best)) best = rv;
  }
  return best;
}

function oldestCreation(sources: RowSource[]): string | undefined {
  let best: string | undefined;
  for (const s of sources) {
    const t = s.metadata.creationTimestamp;
    if (typeof t === 'string' && (best === undefined || t < best)) best = t;
  }
  return best;
}

function virtualMeta(
  kind: string,
  key: { namespace: string; name: string },
  sources: RowSource[],
): KubeObject['metadata'] {
  const m: KubeObject['metadata'] = { name: key.name, uid: virtualUid(kind, key.namespace, key.name) };
  if (key.namespace) m.namespace = key.namespace;
  const rv = maxRv(sources);
  if (rv) m.resourceVersion = rv;
  const created = oldestCreation(sources);
  if (created) m.creationTimestamp = created;
  return m;
}

const byName = (a: RowSource, b: RowSource): number =>
  `${a.metadata.namespace ?? ''}/${a.metadata.name}` < `${b.metadata.namespace ?? ''}/${b.metadata.name}`
    ? -1
    : 1;

const vulnerabilitySummarySource: VirtualSource = {
  from: `${GROUP}/${PLURALS.VulnerabilityManifestSummary}`,
  keyOf: (s) => ({ namespace: '', name: s.namespace }),
  compute(key, sources) {
    const total = zeroVulnCounts();
    const refs: Json[] = [];
    for (const s of [...sources].sort(byName)) {
      const sum = summaryOf(s, summarizeVulnerabilityManifestSummary);
      const sev = obj(sum.severities);
      for (const l of VULN_LEVELS) {
        total[l].all += num(obj(sev[l]).all);
        total[l].relevant += num(obj(sev[l]).relevant);
      }
      // Kubescape's literal kind string for these refs.
      refs.push({
        namespace: s.metadata.namespace ?? key.name,
        name: s.metadata.name,
        kind: 'vulnerabilitymanifestsummary',
      });
    }
    // Like Go's omitempty on the counters: levels with nothing are left out.
    const severities: Json = {};
    for (const l of VULN_LEVELS) {
      if (total[l].all || total[l].relevant)
        severities[l] = total[l].relevant
          ? { all: total[l].all, relevant: total[l].relevant }
          : { all: total[l].all };
    }
    return {
      apiVersion: API_VERSION,
      kind: KINDS.VulnerabilitySummary,
      metadata: virtualMeta(KINDS.VulnerabilitySummary, key, sources),
      spec: { severities, vulnerabilitiesRef: refs },
      status: {},
    };
  },
};

const configurationScanSummarySource: VirtualSource = {
  from: `${GROUP}/${PLURALS.WorkloadConfigurationScanSummary}`,
  keyOf: (s) => ({ namespace: '', name: s.namespace }),
  compute(key, sources) {
    const severities = zeroControlCounts();
    const refs: Json[] = [];
    for (const s of [...sources].sort(byName)) {
      const sev = obj(summaryOf(s, summarizeWorkloadConfigurationScanSummary).severities);
      for (const l of CONTROL_SEVERITIES) severities[l] += num(sev[l]);
      refs.push({
        namespace: s.metadata.namespace ?? key.name,
        kind: KINDS.WorkloadConfigurationScanSummary,
        name: s.metadata.name,
      });
    }
    return {
      apiVersion: API_VERSION,
      kind: KINDS.ConfigurationScanSummary,
      metadata: virtualMeta(KINDS.ConfigurationScanSummary, key, sources),
      spec: { severities, summaryRef: refs },
    };
  },
};

const sbomSummarySource: VirtualSource = {
  from: `${GROUP}/${PLURALS.SBOMSPDXv2p3}`,
  keyOf: (s) => ({ namespace: s.namespace, name: s.name }),
  compute(key, sources) {
    const src = sources[0]!;
    const sum = summaryOf(src, summarizeSbom);
    const metadata = virtualMeta(KINDS.SBOMSummary, key, sources);
    // Same labels and annotations as the SBOM (what kubevuln's stored SBOMSummary carried).
    if (src.metadata.labels) metadata.labels = { ...src.metadata.labels };
    if (src.metadata.annotations) metadata.annotations = { ...src.metadata.annotations };
    const spec: Json = { packages: num(sum.packages), files: num(sum.files) };
    const tool: Json = {};
    if (strOf(sum.tool)) tool.name = sum.tool;
    if (strOf(sum.toolVersion)) tool.version = sum.toolVersion;
    const m: Json = {};
    if (Object.keys(tool).length) m.tool = tool;
    if (strOf(sum.createdAt)) m.report = { createdAt: sum.createdAt };
    if (Object.keys(m).length) spec.metadata = m;
    if (strOf(sum.imageID) ?? strOf(sum.image)) spec.image = strOf(sum.imageID) ?? strOf(sum.image);
    return { apiVersion: API_VERSION, kind: KINDS.SBOMSummary, metadata, spec, status: {} };
  },
};

// ---------------------------------------------------------------------------------------------
// Columns

const vulnColumns = (summarize: (o: KubeObject) => Json, path: (l: VulnLevel) => string): PrinterColumn[] => [
  ...(['critical', 'high', 'medium', 'low'] as const).map((l) => {
    const p = path(l);
    return col(l.toUpperCase(), 'integer', `${l} vulnerabilities`, (s) => num(at(summaryOf(s, summarize), p)));
  }),
  ...(['negligible', 'unknown'] as const).map((l) => {
    const p = path(l);
    return col(l.toUpperCase(), 'integer', `${l} vulnerabilities`, (s) => num(at(summaryOf(s, summarize), p)), 1);
  }),
];

const controlColumns = (summarize: (o: KubeObject) => Json): PrinterColumn[] =>
  (['critical', 'high', 'medium', 'low'] as const).map((l) =>
    col(l.toUpperCase(), 'integer', `failed controls of ${l} severity`, (s) =>
      num(at(summaryOf(s, summarize), `severities.${l}`)),
    ),
  );

const labelCol = (name: string, key: string, description: string, priority = 1): PrinterColumn => ({
  ...col(name, 'string', description, (s) => labelsOf(s.metadata)[key] ?? '', priority),
  readsMetadata: 'labels',
});

const str0 = (v: unknown): string => (typeof v === 'string' ? v : '');

// ---------------------------------------------------------------------------------------------

function base(
  kind: KindName,
  singular: string,
  namespaced: boolean,
  shortNames: string[],
): Omit<ResourceDefinition, 'maxBodyBytes' | 'printerColumns' | 'verbs'> {
  return {
    group: GROUP,
    version: VERSION,
    kind,
    listKind: `${kind}List`,
    plural: PLURALS[kind],
    singular,
    namespaced,
    shortNames,
    categories: CATEGORIES,
    schema: objectSchema(kind),
  };
}

export function kubescapeResources(): ResourceDefinition[] {
  const sbomColumns: PrinterColumn[] = [
    col('IMAGE', 'string', 'Image the SBOM describes', (s) => str0(summaryOf(s, summarizeSbom).image)),
    col('PACKAGES', 'integer', 'Packages in the SBOM', (s) => num(summaryOf(s, summarizeSbom).packages)),
    col('FILES', 'integer', 'Files in the SBOM', (s) => num(summaryOf(s, summarizeSbom).files), 1),
    col(
      'TOOL',
      'string',
      'Tool and version that produced the SBOM',
      (s) => {
        const sum = summaryOf(s, summarizeSbom);
        return [str0(sum.tool), str0(sum.toolVersion)].filter(Boolean).join(' ');
      },
      1,
    ),
  ];

  return [
    {
      ...base('ConfigurationScanSummary', 'configurationscansummary', false, ['css']),
      maxBodyBytes: 64 * 1024,
      verbs: RO_VERBS,
      virtual: configurationScanSummarySource,
      summarize: summarizeConfigurationScanSummary,
      printerColumns: [
        ...controlColumns(summarizeConfigurationScanSummary),
        col('WORKLOADS', 'integer', 'Resources summed', (s) =>
          num(summaryOf(s, summarizeConfigurationScanSummary).refs),
        ),
      ],
    },
    {
      ...base('SBOMSPDXv2p3', 'sbomspdxv2p3', true, ['sbom']),
      maxBodyBytes: 64 * MiB,
      verbs: RW_VERBS,
      summarize: summarizeSbom,
      printerColumns: sbomColumns,
    },
    {
      ...base('SBOMSPDXv2p3Filtered', 'sbomspdxv2p3filtered', true, ['sbomf']),
      maxBodyBytes: 64 * MiB,
      verbs: RW_VERBS,
      summarize: summarizeSbom,
      printerColumns: [
        labelCol('WORKLOAD', LABELS.workloadName, 'Workload name', 0),
        labelCol('CONTAINER', LABELS.workloadContainerName, 'Container name', 0),
        ...sbomColumns,
      ],
    },
    {
      ...base('SBOMSummary', 'sbomsummary', true, ['sbomsum']),
      maxBodyBytes: 64 * 1024,
      verbs: RO_VERBS,
      virtual: sbomSummarySource,
      summarize: summarizeSbomSummary,
      printerColumns: [
        col('IMAGE', 'string', 'Image the SBOM describes', (s) =>
          str0(summaryOf(s, summarizeSbomSummary).image),
        ),
        col('PACKAGES', 'integer', 'Packages in the SBOM', (s) =>
          num(summaryOf(s, summarizeSbomSummary).packages),
        ),
      ],
    },
    {
      ...base('VulnerabilityManifest', 'vulnerabilitymanifest', true, ['vman']),
      maxBodyBytes: 32 * MiB,
      verbs: RW_VERBS,
      summarize: summarizeVulnerabilityManifest,
      printerColumns: [
        col('IMAGE', 'string', 'Scanned image', (s) =>
          str0(summaryOf(s, summarizeVulnerabilityManifest).image),
        ),
        col('MATCHES', 'integer', 'Vulnerability matches', (s) =>
          num(summaryOf(s, summarizeVulnerabilityManifest).matches),
        ),
        col('CRITICAL', 'integer', 'Critical matches', (s) =>
          num(at(summaryOf(s, summarizeVulnerabilityManifest), 'severities.critical')),
        ),
        col('HIGH', 'integer', 'High matches', (s) =>
          num(at(summaryOf(s, summarizeVulnerabilityManifest), 'severities.high')),
        ),
        col(
          'RELEVANT',
          'boolean',
          'Filtered to runtime-relevant packages',
          (s) => summaryOf(s, summarizeVulnerabilityManifest).withRelevancy === true,
          1,
        ),
        col(
          'DB',
          'string',
          'Vulnerability DB version',
          (s) => str0(summaryOf(s, summarizeVulnerabilityManifest).databaseVersion),
          1,
        ),
      ],
    },
    {
      ...base('VulnerabilityManifestSummary', 'vulnerabilitymanifestsummary', true, ['vms']),
      maxBodyBytes: 1 * MiB,
      verbs: RW_VERBS,
      summarize: summarizeVulnerabilityManifestSummary,
      printerColumns: [
        ...vulnColumns(summarizeVulnerabilityManifestSummary, (l) => `severities.${l}.all`),
        labelCol('KIND', LABELS.workloadKind, 'Workload kind'),
        labelCol('WORKLOAD', LABELS.workloadName, 'Workload name'),
        labelCol('CONTAINER', LABELS.workloadContainerName, 'Container name'),
      ],
    },
    {
      ...base('VulnerabilitySummary', 'vulnerabilitysummary', false, ['vsum']),
      maxBodyBytes: 64 * 1024,
      verbs: RO_VERBS,
      virtual: vulnerabilitySummarySource,
      summarize: summarizeVulnerabilitySummary,
      printerColumns: [
        ...vulnColumns(summarizeVulnerabilitySummary, (l) => `severities.${l}.all`),
        col('CONTAINERS', 'integer', 'Workload containers summed', (s) =>
          num(summaryOf(s, summarizeVulnerabilitySummary).refs),
        ),
      ],
    },
    {
      ...base('WorkloadConfigurationScan', 'workloadconfigurationscan', true, ['wcs']),
      maxBodyBytes: 8 * MiB,
      verbs: RW_VERBS,
      summarize: summarizeWorkloadConfigurationScan,
      printerColumns: [
        col('FAILED', 'integer', 'Failed controls', (s) =>
          num(summaryOf(s, summarizeWorkloadConfigurationScan).failed),
        ),
        col('CONTROLS', 'integer', 'Scanned controls', (s) =>
          num(summaryOf(s, summarizeWorkloadConfigurationScan).controls),
        ),
        col('SEVERITY', 'string', 'Highest severity among failed controls', (s) =>
          str0(summaryOf(s, summarizeWorkloadConfigurationScan).highestSeverity),
        ),
        labelCol('KIND', LABELS.workloadKind, 'Resource kind'),
        labelCol('RESOURCE', LABELS.workloadName, 'Resource name'),
      ],
    },
    {
      ...base('WorkloadConfigurationScanSummary', 'workloadconfigurationscansummary', true, ['wcss']),
      maxBodyBytes: 1 * MiB,
      verbs: RW_VERBS,
      summarize: summarizeWorkloadConfigurationScanSummary,
      printerColumns: [
        ...controlColumns(summarizeWorkloadConfigurationScanSummary),
        col(
          'FAILED',
          'integer',
          'Failed controls',
          (s) => num(summaryOf(s, summarizeWorkloadConfigurationScanSummary).failed),
          1,
        ),
        col(
          'CONTROLS',
          'integer',
          'Scanned controls',
          (s) => num(summaryOf(s, summarizeWorkloadConfigurationScanSummary).controls),
          1,
        ),
        labelCol('KIND', LABELS.workloadKind, 'Resource kind'),
        labelCol('RESOURCE', LABELS.workloadName, 'Resource name'),
      ],
    },
  ];
}
