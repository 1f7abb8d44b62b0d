/**
 * Kubescape-compatible report payloads (reference/operator.md §2.7, §4.2), pure: no I/O.
 *
 * - Posture: opa-utils `reporthandling/v2` PostureReport, sent to
 *   `/k8s/v2/postureReport?customerGUID=&contextName=&clusterName=&reportGUID=`. Like Kubescape's
 *   reporter, every chunk repeats the report's header (summaryDetails, metadata ...), all
 *   `resources` are sent first and then `results`, and a new chunk is cut when the JSON would reach
 *   the chunk size (Kubescape: 2 MiB); `paginationInfo{chunkNumber, isLastChunk}` numbers them from 0.
 * - Container scan: kubevuln's ScanResultReport, sent to `/k8s/v2/containerScan?customerGUID=`,
 *   vulnerabilities cut into ~30 000-byte chunks; the summary travels in the first chunk.
 * - Inventory: what Kubescape's kollector reported (nodes, namespaces, workloads, images), sent to
 *   `/k8s/cluster-reports?customerGUID=&clusterName=` as JSON over HTTP POST (kollector used a
 *   websocket there; the reference documents no field names, so the body is the catalog's
 *   `io.kubescape.cluster.inventoried` data plus the report header, chunked like the others).
 *
 * Everything derived from the event is deterministic (reportGUID from the event id, generationTime
 * from the event time), so a redelivered event produces byte-identical chunks.
 */
import { createHash } from 'node:crypto';
import { LABELS } from '../../lib/api/index.js';

export interface ReportContext {
  customerGUID: string;
  clusterName: string;
  /** Event id: the reportGUID and the chunks' webhook-ids derive from it. */
  eventId: string;
  /** ISO time of the event (generationTime). */
  time: string;
}

export interface ReportChunk {
  /** Path and query relative to the provider base URL. */
  path: string;
  body: string;
  chunkNumber: number;
}

/** A stable UUID-shaped id from the event id (same event → same reportGUID). */
export function reportGUID(eventId: string): string {
  const h = createHash('sha256').update(`kscape-report\u0000${eventId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Split `sections` (in order) across chunks that each repeat `header`: a new chunk starts when
 * adding the next item would make the chunk's JSON reach `maxBytes` (an item larger than that
 * still travels, alone). Always at least one chunk.
 */
export function chunkReport(
  header: Record<string, unknown>,
  sections: readonly { key: string; items: readonly unknown[] }[],
  maxBytes: number,
): Record<string, unknown>[] {
  const base = Buffer.byteLength(
    JSON.stringify({ ...header, paginationInfo: { chunkNumber: 0, isLastChunk: false } }),
  );
  const empty = (): Record<string, unknown[]> => Object.fromEntries(sections.map((s) => [s.key, []]));
  const chunks: Record<string, unknown[]>[] = [];
  let cur = empty();
  let size = base;
  let count = 0;
  for (const s of sections) {
    for (const item of s.items) {
      const len = Buffer.byteLength(JSON.stringify(item) ?? 'null') + 1;
      if (count > 0 && size + len >= maxBytes) {
        chunks.push(cur);
        cur = empty();
        size = base;
        count = 0;
      }
      cur[s.key]!.push(item);
      size += len;
      count++;
    }
  }
  chunks.push(cur);
  return chunks.map((c, i) => ({
    ...header,
    ...c,
    paginationInfo: { chunkNumber: i, isLastChunk: i === chunks.length - 1 },
  }));
}

const query = (params: Record<string, string>): string => new URLSearchParams(params).toString();

// ------------------------------------------------------------------------------------------------
// Posture

/** The parts of a stored WorkloadConfigurationScan the report needs. */
export interface StoredScan {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    controls?: Record<string, StoredControl>;
    relatedObjects?: {
      namespace?: string;
      apiGroup?: string;
      apiVersion?: string;
      kind?: string;
      name?: string;
    }[];
  };
}

interface StoredControl {
  controlID: string;
  name?: string;
  severity?: { severity?: string; scoreFactor?: number };
  status?: { status?: string; subStatus?: string; info?: string };
  rules?: {
    name?: string;
    status?: { status?: string; subStatus?: string };
    paths?: Record<string, string>[];
    controlConfigurations?: Record<string, unknown> | null;
    appliedIgnoreRules?: string[];
    relatedResourcesIDs?: string[];
  }[];
}

export interface PostureInput {
  scanId: string;
  frameworks: readonly { name: string; complianceScore: number; riskScore: number }[];
  counts: { resources: number; passed: number; failed: number; skipped: number; excluded: number };
  scans: readonly StoredScan[];
  /** Raw cluster objects by resourceID (Kubescape's `resources`). */
  objects: ReadonlyMap<string, unknown>;
  numberOfWorkerNodes?: number;
}

/** Kubescape's resource id: `<group>/<version>/<namespace>/<kind>/<name>` (core group empty: `/v1/...`). */
export function resourceID(
  group: string,
  version: string,
  namespace: string,
  kind: string,
  name: string,
): string {
  return `${group}/${version}/${namespace}/${kind}/${name}`;
}

/** The resource a stored scan is about, from Kubescape's workload labels (RBAC triplets: the subject). */
export function scannedResourceID(scan: StoredScan): string | undefined {
  const l = scan.metadata.labels ?? {};
  const kind = l[LABELS.workloadKind];
  const name = l[LABELS.workloadName];
  if (kind && name)
    return resourceID(
      l[LABELS.workloadApiGroup] ?? '',
      l[LABELS.workloadApiVersion] ?? 'v1',
      l[LABELS.workloadNamespace] ?? '',
      kind,
      name,
    );
  const subject = scan.spec?.relatedObjects?.[0];
  if (subject?.kind && subject.name) {
    const [g, v] = subject.apiVersion?.includes('/')
      ? subject.apiVersion.split('/')
      : [subject.apiGroup ?? '', subject.apiVersion || 'v1'];
    return resourceID(g ?? '', v ?? 'v1', subject.namespace ?? '', subject.kind, subject.name);
  }
  return undefined;
}

/** Stored path → armoapi-go PosturePaths. */
function posturePath(p: Record<string, string>): Record<string, unknown> {
  if (p.fixPath !== undefined) return { fixPath: { path: p.fixPath, value: p.fixPathValue ?? '' } };
  if (p.failedPath !== undefined) return { failedPath: p.failedPath };
  if (p.reviewPath !== undefined) return { reviewPath: p.reviewPath };
  if (p.deletePath !== undefined) return { deletePath: p.deletePath };
  if (p.fixCommand !== undefined) return { fixCommand: p.fixCommand };
  return {};
}

/** opa-utils `resourcesresults.Result`. */
export function resourceResult(id: string, scan: StoredScan): Record<string, unknown> {
  const controls = Object.values(scan.spec?.controls ?? {}).map((c) => ({
    controlID: c.controlID,
    name: c.name ?? '',
    status: {
      status: c.status?.status ?? 'passed',
      ...(c.status?.subStatus ? { subStatus: c.status.subStatus } : {}),
      ...(c.status?.info ? { info: c.status.info } : {}),
    },
    rules: (c.rules ?? []).map((r) => ({
      name: r.name ?? '',
      status: r.status?.status ?? c.status?.status ?? 'passed',
      ...(r.status?.subStatus ? { subStatus: r.status.subStatus } : {}),
      ...(r.paths?.length ? { paths: r.paths.map(posturePath) } : {}),
      ...(r.controlConfigurations && Object.keys(r.controlConfigurations).length
        ? { controlConfigurations: r.controlConfigurations }
        : {}),
      ...(r.appliedIgnoreRules?.length
        ? { exception: r.appliedIgnoreRules.map((name) => ({ name, policyType: 'postureExceptionPolicy' })) }
        : {}),
      ...(r.relatedResourcesIDs?.length ? { relatedResourcesIDs: r.relatedResourcesIDs } : {}),
    })),
  }));
  return { resourceID: id, controls };
}

const SEVERITY_COUNTER: Record<string, string> = {
  Critical: 'criticalSeverity',
  High: 'highSeverity',
  Medium: 'mediumSeverity',
  Low: 'lowSeverity',
};
const STATUS_RANK: Record<string, number> = { failed: 4, error: 3, skipped: 2, passed: 1, irrelevant: 0 };

/** opa-utils `reportsummary.SummaryDetails`, from the event's scores and the stored per-resource controls. */
export function summaryDetails(input: PostureInput): Record<string, unknown> {
  const controls = new Map<
    string,
    {
      controlID: string;
      name: string;
      status: string;
      scoreFactor: number;
      severity: string;
      counters: Record<string, number>;
    }
  >();
  for (const scan of input.scans) {
    for (const c of Object.values(scan.spec?.controls ?? {})) {
      const status = c.status?.status ?? 'passed';
      let s = controls.get(c.controlID);
      if (!s) {
        s = {
          controlID: c.controlID,
          name: c.name ?? '',
          status,
          scoreFactor: c.severity?.scoreFactor ?? 0,
          severity: c.severity?.severity ?? 'Unknown',
          counters: { passedResources: 0, failedResources: 0, skippedResources: 0, excludedResources: 0 },
        };
        controls.set(c.controlID, s);
      }
      if ((STATUS_RANK[status] ?? 0) > (STATUS_RANK[s.status] ?? 0)) s.status = status;
      const key =
        status === 'failed'
          ? 'failedResources'
          : status === 'skipped'
            ? 'skippedResources'
            : 'passedResources';
      s.counters[key] = (s.counters[key] ?? 0) + 1;
      if (c.rules?.some((r) => r.appliedIgnoreRules?.length))
        s.counters.excludedResources = (s.counters.excludedResources ?? 0) + 1;
    }
  }
  const severityCounters: Record<string, number> = {
    criticalSeverity: 0,
    highSeverity: 0,
    mediumSeverity: 0,
    lowSeverity: 0,
  };
  for (const c of controls.values()) {
    const k = SEVERITY_COUNTER[c.severity];
    if (k && c.status === 'failed') severityCounters[k] = (severityCounters[k] ?? 0) + 1;
  }
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const failed = input.counts.failed > 0;
  return {
    score: mean(input.frameworks.map((f) => f.riskScore)),
    complianceScore: mean(input.frameworks.map((f) => f.complianceScore)),
    status: failed ? 'failed' : 'passed',
    frameworks: input.frameworks.map((f) => ({
      name: f.name,
      score: f.riskScore,
      complianceScore: f.complianceScore,
      status: failed ? 'failed' : 'passed',
    })),
    controls: Object.fromEntries(
      [...controls.values()]
        .sort((a, b) => a.controlID.localeCompare(b.controlID))
        .map((c) => [
          c.controlID,
          {
            controlID: c.controlID,
            name: c.name,
            status: c.status,
            scoreFactor: c.scoreFactor,
            severity: c.severity,
            resourceCounters: c.counters,
          },
        ]),
    ),
    controlsSeverityCounters: severityCounters,
    resourceCounters: {
      passedResources: input.counts.passed,
      failedResources: input.counts.failed,
      skippedResources: input.counts.skipped,
      excludedResources: input.counts.excluded,
    },
  };
}

export function postureReportChunks(
  ctx: ReportContext,
  input: PostureInput,
  maxBytes: number,
): ReportChunk[] {
  const guid = reportGUID(ctx.eventId);
  const header = {
    customerGUID: ctx.customerGUID,
    clusterName: ctx.clusterName,
    clusterCloudProvider: '',
    reportGUID: guid,
    jobID: input.scanId,
    clusterAPIServerInfo: null,
    generationTime: ctx.time,
    summaryDetails: summaryDetails(input),
    metadata: {
      scanMetadata: {
        targetType: 'cluster',
        targetNames: [ctx.clusterName],
        submit: true,
        hostScanner: false,
        formats: ['json'],
      },
      clusterMetadata: {
        numberOfWorkerNodes: input.numberOfWorkerNodes ?? 0,
        cloudProvider: '',
        contextName: ctx.clusterName,
      },
    },
  };
  const results: Record<string, unknown>[] = [];
  for (const scan of input.scans) {
    const id = scannedResourceID(scan);
    if (id) results.push(resourceResult(id, scan));
  }
  const resources = [...input.objects].map(([id, object]) => ({ resourceID: id, object }));
  const path = `/k8s/v2/postureReport?${query({ customerGUID: ctx.customerGUID, contextName: ctx.clusterName, clusterName: ctx.clusterName, reportGUID: guid })}`;
  return chunkReport(
    header,
    [
      { key: 'resources', items: resources },
      { key: 'results', items: results },
    ],
    maxBytes,
  ).map((c, i) => ({ path, body: JSON.stringify(c), chunkNumber: i }));
}

// ------------------------------------------------------------------------------------------------
// Container scan

export interface GrypeMatch {
  vulnerability?: {
    id?: string;
    severity?: string;
    description?: string;
    urls?: string[];
    dataSource?: string;
    fix?: { versions?: string[]; state?: string };
  };
  artifact?: { name?: string; version?: string; type?: string };
}

export interface ContainerScanInput {
  image: string;
  digest?: string;
  status: string;
  severities: Record<string, number>;
  matches: readonly GrypeMatch[];
}

/** armoapi-go severity scores. */
const SEVERITY_SCORE: Record<string, number> = {
  Critical: 500,
  High: 400,
  Medium: 300,
  Low: 200,
  Negligible: 100,
  Unknown: 0,
};
const capitalised = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : 'Unknown');

/** kubevuln's containersScanID: stable per image digest (or reference) and cluster. */
export function containersScanID(ctx: ReportContext, input: ContainerScanInput): string {
  return createHash('sha256')
    .update(`${ctx.clusterName}\u0000${input.digest ?? input.image}`)
    .digest('hex')
    .slice(0, 40);
}

export function containerScanChunks(
  ctx: ReportContext,
  input: ContainerScanInput,
  maxBytes: number,
): ReportChunk[] {
  const scanID = containersScanID(ctx, input);
  const timestamp = Math.floor(Date.parse(ctx.time) / 1000) || 0;
  const designators = {
    designatorType: 'Attributes',
    attributes: {
      customerGUID: ctx.customerGUID,
      cluster: ctx.clusterName,
      imageTag: input.image,
      ...(input.digest ? { imageID: input.digest } : {}),
    },
  };
  const vulnerabilities = input.matches.map((m) => {
    const severity = capitalised(m.vulnerability?.severity ?? 'Unknown');
    const fixed = m.vulnerability?.fix?.state === 'fixed' && (m.vulnerability.fix.versions?.length ?? 0) > 0;
    return {
      designators,
      containersScanID: scanID,
      timestamp,
      isFixed: fixed ? 1 : 0,
      name: m.vulnerability?.id ?? '',
      imageHash: input.digest ?? '',
      imageTag: input.image,
      packageName: m.artifact?.name ?? '',
      packageVersion: m.artifact?.version ?? '',
      packageType: m.artifact?.type ?? '',
      link: m.vulnerability?.dataSource ?? m.vulnerability?.urls?.[0] ?? '',
      links: m.vulnerability?.urls ?? [],
      description: m.vulnerability?.description ?? '',
      severity,
      severityScore: SEVERITY_SCORE[severity] ?? 0,
      fixedIn: fixed
        ? m.vulnerability!.fix!.versions!.map((version) => ({
            name: m.artifact?.name ?? '',
            imageTag: input.image,
            version,
          }))
        : [],
    };
  });
  const severitiesStats = Object.entries(input.severities).map(([s, total]) => ({
    severity: capitalised(s),
    total,
  }));
  const summary = {
    designators,
    customerGUID: ctx.customerGUID,
    containersScanID: scanID,
    timestamp,
    imageID: input.digest ?? '',
    imageTag: input.image,
    clusterName: ctx.clusterName,
    status: input.status === 'ready' ? 'Success' : input.status,
    severitiesStats,
  };
  const header = { designators, containersScanID: scanID, timestamp };
  const path = `/k8s/v2/containerScan?${query({ customerGUID: ctx.customerGUID })}`;
  return chunkReport(header, [{ key: 'vulnerabilities', items: vulnerabilities }], maxBytes).map((c, i) => ({
    path,
    body: JSON.stringify(i === 0 ? { ...c, summary } : c),
    chunkNumber: i,
  }));
}

// ------------------------------------------------------------------------------------------------
// Inventory

export interface InventoryInput {
  collectedAt: string;
  nodes: readonly unknown[];
  namespaces: readonly unknown[];
  workloads: readonly unknown[];
  images: readonly unknown[];
}

export function inventoryChunks(ctx: ReportContext, input: InventoryInput, maxBytes: number): ReportChunk[] {
  const guid = reportGUID(ctx.eventId);
  const header = {
    customerGUID: ctx.customerGUID,
    clusterName: ctx.clusterName,
    reportGUID: guid,
    generationTime: input.collectedAt,
  };
  const path = `/k8s/cluster-reports?${query({ customerGUID: ctx.customerGUID, clusterName: ctx.clusterName })}`;
  return chunkReport(
    header,
    [
      { key: 'nodes', items: input.nodes },
      { key: 'namespaces', items: input.namespaces },
      { key: 'workloads', items: input.workloads },
      { key: 'images', items: input.images },
    ],
    maxBytes,
  ).map((c, i) => ({ path, body: JSON.stringify(c), chunkNumber: i }));
}
