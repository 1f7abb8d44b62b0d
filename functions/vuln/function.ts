/**
 * vuln: the image-vulnerability CloudEvents function (DESIGN.md §6).
 *
 * `io.kubescape.vulnscan.requested` → SBOM (reused from storage when a ready SBOMSPDXv2p3 of the
 * same digest, platform and cataloger version exists; else pulled and cataloged, then stored) →
 * OSV matching by SQL lookups (the DB is queried, never loaded) → the image VulnerabilityManifest
 * and one VulnerabilityManifestSummary per workload container of the request → reply
 * `io.kubescape.vulnscan.completed`. A digest already matched against the current DB version with
 * the same SBOM is not matched again: a redelivered request only rewrites identical summaries.
 *
 * Image outcomes are recorded kubevuln's way on the SBOM object (`kubescape.io/status`): too-large
 * and incomplete (timeout) are answered with a completed event carrying that status; unauthorize,
 * not found, unsupported schema, corrupt layers are recorded and then answered 400 (dead-lettered
 * with the reason, never retried); rate limits answer 429 and other registry failures 503 (retried
 * by the broker) after recording `failed` with the reason.
 *
 * `io.kubescape.vulndb.update.requested` → osv/update.ts (download + atomic generation flip).
 *
 * `io.kubescape.relevancy.reported` → the stored image SBOM filtered to packages owning a file in
 * use (SBOMSPDXv2p3Filtered), the relevant-only VulnerabilityManifest of that container, and the
 * `relevant` counts of its summary.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ANNOTATIONS, API_VERSION, COMPLETION, CONTEXT, KINDS, LABELS, PLURALS, STATUS, type StatusValue } from '../../lib/api/constants.js';
import { imageLabelValue, imageSlug, instanceId, InvalidSlugError, wlid } from '../../lib/api/names.js';
import { logger } from '../../lib/log/index.js';
import { openDatabase, type Database } from '../../lib/db/index.js';
import { buildEvent, EVENT_TYPES, FUNCTION_ROUTES, type CatalogEvent, type EventData, type ObjectRef, type WorkloadContainer } from '../../lib/events/index.js';
import { loadKubeAccess, type KubeAccess } from '../../lib/kube/access.js';
import { PermanentError, RateLimitedError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from '../runtime/types.js';
import { KubeStatusError, kubeHttp, type KubeHttp } from '../../lib/kube/http.js';
import { mapLimit } from '../scan/cluster/reader.js';
import { sbomCacheKey } from './cache.js';
import { loadVulnFunctionConfig, type VulnFunctionConfig } from './function-config.js';
import {
  grypeDocument,
  imageManifest,
  relevantManifest,
  relevantName,
  MATCH_CONFIG_ANNOTATION,
  SBOM_KEY_ANNOTATION,
  severityCounts,
  summaryObject,
  workloadLabels,
  instanceRefOf,
  type DbVersion,
  type ManifestRef,
} from './function-manifest.js';
import { isReusableSbom, Results, StorageSbomCache, TOOL_CREATOR, type StoredObject } from './function-results.js';
import { distroOf, filterSbom, packagesFromSpdx, toSbomPackage, type ScanPackage } from './function-sbom.js';
import { generateSbom } from './generate.js';
import { credentialsFromSecret, type RegistryCredential } from './image/credentials.js';
import { formatPlatform, parsePlatform } from './image/manifest.js';
import { parseReference } from './image/reference.js';
import type { FetchLike } from './image/registry.js';
import { DigestMismatchError, InvalidInputError, LayerError, NotFoundError, RegistryError, TooManyRequestsError, UnsupportedSchemaError } from './errors.js';
import { matchPackages, type IgnoreRule, type MatchResult } from './osv/match.js';
import { ConcurrentUpdateError, VulnDbStore, type VulnDbStatus } from './osv/store/index.js';
import { DownloadError, updateVulnDb, type UpdateResult } from './osv/update.js';
import type { SpdxJson } from './sbom/spdx.js';
import { TOOL_NAME, TOOL_VERSION, CATALOGER_VERSION } from './version.js';

const log = logger('vuln');

export interface VulnDeps {
  config?: VulnFunctionConfig;
  /** Storage API and cluster client; default from the kubeconfig / in-cluster config. */
  http?: KubeHttp;
  kubeConfig?: KubeAccess;
  /** A database shared with other components of the process (not closed by this function). */
  database?: Database;
  /** The vulnerability DB; default: tables in `database`, else DATABASE_URL (else embedded PGlite). */
  store?: VulnDbStore;
  /** Registry fetch (tests, proxies). */
  fetch?: FetchLike;
  now?: () => Date;
}

type VulnScanRequest = EventData<typeof EVENT_TYPES.vulnScanRequested>;
type RelevancyReport = EventData<typeof EVENT_TYPES.relevancyReported>;
type CompletedStatus = EventData<typeof EVENT_TYPES.vulnScanCompleted>['status'];

export function derivedId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const IgnoreRulesSchema = z.array(
  z
    .object({
      vulnerability: z.string().min(1).optional(),
      package: z.object({ name: z.string().min(1).optional(), type: z.string().min(1).optional() }).optional(),
      fixState: z.enum(['fixed', 'not-fixed', 'wont-fix', 'unknown']).optional(),
    })
    .strict(),
);

export function parseIgnoreRules(raw: string | undefined): IgnoreRule[] {
  if (!raw) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new Error(`KSCAPE_VULN_IGNORE_RULES is not JSON: ${message(e)}`);
  }
  const r = IgnoreRulesSchema.safeParse(json);
  if (!r.success) throw new Error(`KSCAPE_VULN_IGNORE_RULES: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data as IgnoreRule[];
}

/** The reference to pull: the request's image pinned to its digest (registry images). */
export function pullReference(image: string, digest: string | undefined): string {
  if (!digest || /^(oci|oci-archive|docker-archive):/.test(image)) return image;
  return `${image.replace(/@sha256:[a-f0-9]{64}$/, '')}@${digest}`;
}

/** An image failure, classified once: what to record on the SBOM and how to answer the event. */
interface Failure {
  status: StatusValue;
  reason: string;
  answer: 'permanent' | 'transient' | 'rate-limited';
  retryAfterSeconds?: number;
}

export function classifyImageError(e: unknown): Failure | undefined {
  if (e instanceof NotFoundError) return { status: STATUS.failed, reason: `image not found: ${e.message}`, answer: 'permanent' };
  if (e instanceof UnsupportedSchemaError) return { status: STATUS.unsupportedSchema, reason: e.message, answer: 'permanent' };
  if (e instanceof DigestMismatchError || e instanceof LayerError || e instanceof InvalidInputError || e instanceof InvalidSlugError)
    return { status: STATUS.failed, reason: e.message, answer: 'permanent' };
  if (e instanceof TooManyRequestsError)
    return { status: STATUS.failed, reason: e.message, answer: 'rate-limited', retryAfterSeconds: Math.max(1, Math.ceil((e.retryAfterMs ?? 60_000) / 1000)) };
  if (e instanceof RegistryError) {
    const permanent = e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 408;
    const what = e.status === undefined ? 'registry unreachable (network or DNS failure, retried)' : `registry failure (HTTP ${e.status})`;
    return { status: STATUS.failed, reason: `${what}: ${e.message}`, answer: permanent ? 'permanent' : 'transient' };
  }
  return undefined;
}

const COMPLETED_STATUS: Partial<Record<StatusValue, CompletedStatus>> = {
  [STATUS.ready]: 'ready',
  [STATUS.incomplete]: 'incomplete',
  [STATUS.tooLarge]: 'too-large',
  [STATUS.unauthorize]: 'unauthorized',
};

const ref = (kind: string, namespace: string, name: string): ObjectRef => ({ apiVersion: API_VERSION, kind, namespace, name });

/** No vulnerability DB has been loaded yet: the scan is retried (503) instead of reporting nothing. */
export class EmptyVulnDbError extends TransientError {}

/** Automatic loads of an empty DB start at most this often per process (each one downloads every ecosystem). */
const LOAD_WHEN_EMPTY_INTERVAL_MS = 5 * 60_000;

/** The function's handle on the vulnerability DB, with a short-lived status cache for readiness. */
class VulnDb {
  private storePromise: Promise<VulnDbStore> | undefined;
  private ownDb: Database | undefined;
  private cached: { at: number; status: VulnDbStatus } | undefined;
  private updating: Promise<UpdateResult> | undefined;

  constructor(private readonly deps: VulnDeps) {
    if (deps.store) this.storePromise = Promise.resolve(deps.store);
  }

  store(): Promise<VulnDbStore> {
    return (this.storePromise ??= (async () => {
      if (this.deps.database) return VulnDbStore.open(this.deps.database);
      this.ownDb = await openDatabase({ applicationName: 'kscape-vuln' });
      return VulnDbStore.open(this.ownDb);
    })().catch((e: unknown) => {
      this.storePromise = undefined;
      throw new TransientError(`vulnerability database unavailable: ${message(e)}`);
    }));
  }

  async status(maxAgeMs = 0): Promise<VulnDbStatus> {
    const now = Date.now();
    if (this.cached && now - this.cached.at <= maxAgeMs) return this.cached.status;
    const status = await (await this.store()).status();
    this.cached = { at: now, status };
    return status;
  }

  /** Current version; TransientError while the DB has never been loaded (a scan against nothing would report no vulnerabilities). */
  async version(): Promise<DbVersion> {
    const s = await this.status();
    if (s.generation === null || !s.contentHash)
      throw new EmptyVulnDbError('the vulnerability database is empty: load it with `kscape db update` / `kscape db import` or an io.kubescape.vulndb.update.requested event');
    return { version: s.contentHash, builtAt: s.builtAt };
  }

  /** One update at a time per process; a redelivered request joins the running one. Aborted by close(). */
  update(cfg: VulnFunctionConfig, sources: string[] | undefined): Promise<UpdateResult> {
    this.updating ??= (async () =>
      updateVulnDb(await this.store(), cfg, {
        ...(sources?.length ? { sources } : {}),
        signal: this.closing.signal,
        log,
      }))().finally(() => {
      this.updating = undefined;
      this.cached = undefined;
    });
    return this.updating;
  }

  private readonly closing = new AbortController();

  async close(): Promise<void> {
    // Downloads and back-offs stop now; an import already past its downloads fails at its next
    // statement once the database closes (its generation is dropped, the current one stays).
    this.closing.abort(new TransientError('the vuln function is shutting down'));
    this.updating?.catch(() => undefined);
    await this.ownDb?.close();
  }
}

export function createVulnFunction(deps: VulnDeps = {}): FunctionDefinition {
  const config = deps.config ?? loadVulnFunctionConfig();
  const ignore = parseIgnoreRules(config.KSCAPE_VULN_IGNORE_RULES);
  const matchConfig = createHash('sha256').update(JSON.stringify(ignore)).digest('hex').slice(0, 16);
  const now = deps.now ?? (() => new Date());
  const platform = formatPlatform(parsePlatform(config.KSCAPE_VULN_PLATFORM));
  let client = deps.http;
  const http = (): KubeHttp => (client ??= kubeHttp(deps.kubeConfig ?? (() => loadKubeAccess())));
  const db = new VulnDb(deps);
  const ns = config.KSCAPE_NAMESPACE;
  const cluster = config.KSCAPE_CLUSTER_NAME;
  let lastReported: string | undefined;

  /** Storage errors are the API server's: retried. */
  const storage = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof KubeStatusError || (e instanceof Error && !(e instanceof PermanentError) && !(e instanceof TransientError) && !(e instanceof RateLimitedError)))
        throw new TransientError(`${what}: ${message(e)}`);
      throw e;
    }
  };

  async function credentialsFor(results: Results, secrets: VulnScanRequest['pullSecrets'], log: FunctionContext['log']): Promise<RegistryCredential[]> {
    const refs = [...secrets];
    if (config.KSCAPE_VULN_PULL_SECRET) {
      const [sns, sname] = config.KSCAPE_VULN_PULL_SECRET.includes('/') ? config.KSCAPE_VULN_PULL_SECRET.split('/', 2) : [ns, config.KSCAPE_VULN_PULL_SECRET];
      refs.push({ namespace: sns!, name: sname! });
    }
    const out: RegistryCredential[] = [];
    for (const s of refs) {
      const secret = await storage(`reading pull secret ${s.namespace}/${s.name}`, () => results.secret(s.namespace, s.name));
      if (!secret) {
        log.warn({ secret: `${s.namespace}/${s.name}` }, 'pull secret not found or not readable; continuing without it');
        continue;
      }
      try {
        out.push(...credentialsFromSecret(secret));
      } catch (e) {
        log.warn({ secret: `${s.namespace}/${s.name}`, err: message(e) }, 'pull secret is not a valid docker config; ignored');
      }
    }
    return out;
  }

  /** Match packages against the DB; the version is read before and after so a flip in between is not mislabelled. */
  async function match(packages: readonly ScanPackage[]): Promise<{ result: MatchResult; matched: object[]; db: DbVersion }> {
    const store = await db.store();
    for (let attempt = 0; ; attempt++) {
      const before = await db.version();
      const matched = packages.map(toSbomPackage);
      const result = await storage('querying the vulnerability database', () => matchPackages(matched, store, { ignore }));
      const after = await db.version();
      if (after.version === before.version || attempt >= 2) return { result, matched, db: after };
    }
  }

  interface ImageManifestInfo {
    ref: ManifestRef;
    counts: ManifestRef['counts'];
    name: string;
  }

  /** The image manifest for a stored SBOM: reused when computed from the same SBOM against the current DB, else matched and written. */
  async function ensureImageManifest(results: Results, image: string, digest: string, doc: SpdxJson, sbomKey: string, createdAt: string): Promise<ImageManifestInfo> {
    const name = imageSlug(image, digest);
    const dbv = await db.version();
    const existing = await storage('reading the vulnerability manifest', () => results.get(PLURALS.VulnerabilityManifest, ns, name));
    const spec = existing?.spec as { metadata?: { tool?: { databaseVersion?: string; version?: string }; report?: { createdAt?: string } }; payload?: { matches?: [] } } | undefined;
    if (
      existing &&
      existing.metadata.annotations?.[ANNOTATIONS.imageId] === digest &&
      existing.metadata.annotations?.[SBOM_KEY_ANNOTATION] === sbomKey &&
      existing.metadata.annotations?.[MATCH_CONFIG_ANNOTATION] === matchConfig &&
      spec?.metadata?.tool?.databaseVersion === dbv.version &&
      spec.metadata.tool.version === TOOL_VERSION
    ) {
      const counts = severityCounts(spec.payload as Parameters<typeof severityCounts>[0]);
      return { name, counts, ref: { namespace: ns, name, counts, createdAt: spec.metadata.report?.createdAt ?? createdAt } };
    }
    const packages = packagesFromSpdx(doc);
    const { result, matched, db: used } = await match(packages);
    const payload = grypeDocument({ image, digest, packages, result, matched, db: used, ...(distroOf(packages) ? { distro: distroOf(packages)! } : {}) });
    const vm = imageManifest({ image, digest, namespace: ns, sbomKey, createdAt, name, matchConfig }, payload, used);
    await storage('writing the vulnerability manifest', () => results.upsert(PLURALS.VulnerabilityManifest, vm));
    const counts = severityCounts(payload);
    return { name, counts, ref: { namespace: ns, name, counts, createdAt } };
  }

  /** The relevant manifest of a container, when one exists for this image digest. */
  async function relevantRef(results: Results, w: WorkloadContainer, digest: string): Promise<ManifestRef | undefined> {
    const name = relevantName(w);
    const vm = await storage('reading the relevant manifest', () => results.get(PLURALS.VulnerabilityManifest, ns, name));
    if (!vm || vm.metadata.annotations?.[ANNOTATIONS.imageId] !== digest) return undefined;
    const spec = vm.spec as { metadata?: { report?: { createdAt?: string } }; payload?: Parameters<typeof severityCounts>[0] };
    return { namespace: ns, name, counts: severityCounts(spec.payload), createdAt: spec.metadata?.report?.createdAt ?? new Date(0).toISOString() };
  }

  async function writeSummaries(results: Results, workloads: readonly WorkloadContainer[], image: string, digest: string, all: ManifestRef, log: FunctionContext['log']): Promise<ObjectRef[]> {
    const refs: ObjectRef[] = [];
    await mapLimit([...workloads], 4, async (w) => {
      let obj;
      try {
        obj = summaryObject(w, cluster, image, digest, all, await relevantRef(results, w, digest));
      } catch (e) {
        if (!(e instanceof InvalidSlugError)) throw e;
        log.warn({ workload: w, err: e.message }, 'workload container cannot be named; summary skipped');
        return;
      }
      await storage('writing a vulnerability summary', () => results.upsert(PLURALS.VulnerabilityManifestSummary, obj));
      refs.push(ref(KINDS.VulnerabilityManifestSummary, obj.metadata.namespace!, obj.metadata.name));
    });
    return refs.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  interface ScanOutcome {
    status: CompletedStatus;
    digest: string;
    sbomName?: string;
    manifest?: ImageManifestInfo;
    summaries: ObjectRef[];
    doc?: SpdxJson;
  }

  async function scanImage(data: VulnScanRequest, createdAt: Date, ctx: FunctionContext): Promise<ScanOutcome> {
    const image = data.image;
    try {
      parseReference(image);
    } catch (e) {
      throw new PermanentError(`invalid image reference ${JSON.stringify(image)}: ${message(e)}`);
    }
    const results = new Results(http(), ctx.signal);
    const cache = new StorageSbomCache(results, ns, image, config.KSCAPE_VULN_MAX_SBOM_SIZE, createdAt);
    const key = (digest: string) => sbomCacheKey(digest, platform);

    // Redelivery / rescan of a digest already matched against the current DB: no pull, no match.
    if (data.digest) {
      const sbom = await storage('reading the SBOM', () => results.get(PLURALS.SBOMSPDXv2p3, ns, safeSlug(image, data.digest!)));
      if (isReusableSbom(sbom, key(data.digest))) {
        const manifest = await ensureImageManifest(results, image, data.digest, sbom.spec.spdx, key(data.digest), createdAt.toISOString());
        const summaries = await writeSummaries(results, data.workloads, image, data.digest, manifest.ref, ctx.log);
        return { status: 'ready', digest: data.digest, sbomName: sbom.metadata.name, manifest, summaries, doc: sbom.spec.spdx };
      }
    }

    const credentials = await credentialsFor(results, data.pullSecrets, ctx.log);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(config.KSCAPE_VULN_SCAN_TIMEOUT)]);
    let r;
    try {
      r = await generateSbom(pullReference(image, data.digest), {
        platform,
        credentials,
        insecureRegistries: config.KSCAPE_VULN_INSECURE_REGISTRIES,
        limits: { maxImageSize: config.KSCAPE_VULN_MAX_IMAGE_SIZE },
        signal,
        cache,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        onProgress: (p) => {
          if (p.phase === 'layer') ctx.log.debug({ layer: p.layer, layers: p.layers, bytes: p.bytes }, 'pulling layer');
        },
      });
    } catch (e) {
      if (ctx.signal.aborted) throw new TransientError(`image scan interrupted: ${message(e)}`);
      const f = classifyImageError(e);
      if (!f) throw e instanceof KubeStatusError ? new TransientError(`storage failure while caching the SBOM: ${e.message}`) : e;
      const digest = data.digest;
      if (digest) await storage('recording the image status', () => cache.writeMarker(digest, f.status, f.reason, { key: key(digest) }));
      // Info: the error thrown below is logged by the function host at warn with the same reason.
      ctx.log.info({ image, digest, status: f.status, reason: f.reason }, 'image could not be scanned');
      if (f.answer === 'permanent') throw new PermanentError(`${image}: ${f.reason}`);
      if (f.answer === 'rate-limited') throw new RateLimitedError(`${image}: ${f.reason}`, f.retryAfterSeconds ?? 60);
      throw new TransientError(`${image}: ${f.reason}`);
    }
    if (ctx.signal.aborted) throw new TransientError('image scan interrupted (shutdown or handler deadline)');
    const digest = r.digest || data.digest || '';
    if (data.digest && r.digest && data.digest !== r.digest && !/^(oci|oci-archive|docker-archive):/.test(image))
      throw new PermanentError(`${image}: the registry served digest ${r.digest}, not the requested ${data.digest}`);
    if (r.status !== STATUS.ready) {
      if (digest) await storage('recording the image status', () => cache.writeMarker(digest, r.status, r.reason ?? r.status, { key: key(digest), ...(r.platform ? { platform: r.platform } : {}) }));
      ctx.log.warn({ image, digest, status: r.status, reason: r.reason }, 'image not cataloged');
      if (r.status === STATUS.unauthorize) throw new PermanentError(`${image}: registry authentication failed: ${r.reason ?? 'unauthorized'}`);
      return { status: COMPLETED_STATUS[r.status] ?? 'failed', digest, ...(digest ? { sbomName: safeSlug(image, digest) } : {}), summaries: [] };
    }
    if (cache.tooLarge) {
      ctx.log.warn({ image, digest, reason: cache.tooLarge }, 'SBOM too large to store');
      return { status: 'too-large', digest, sbomName: safeSlug(image, digest), summaries: [] };
    }
    // From storage (cache hit) the document already carries the owned files; a fresh one was stored by cache.set.
    const doc = r.fromCache ? r.sbom! : cache.stored;
    if (!doc) throw new TransientError('the generated SBOM was not stored');
    const manifest = await ensureImageManifest(results, image, digest, doc, key(digest), now().toISOString());
    const summaries = await writeSummaries(results, data.workloads, image, digest, manifest.ref, ctx.log);
    ctx.log.info({ image, digest, fromCache: r.fromCache, packages: r.packages.length, ...manifest.counts }, 'image scanned');
    return { status: 'ready', digest, sbomName: safeSlug(image, digest), manifest, summaries, doc };
  }

  async function onVulnScan(event: IncomingEvent, ctx: FunctionContext): Promise<CatalogEvent> {
    const data = event.data as VulnScanRequest;
    const createdAt = event.time ? new Date(event.time) : now();
    const out = await scanImage(data, Number.isNaN(createdAt.getTime()) ? now() : createdAt, ctx);
    const zero = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
    return buildEvent(
      EVENT_TYPES.vulnScanCompleted,
      {
        image: data.image,
        ...(out.digest ? { digest: out.digest } : {}),
        ...(out.sbomName ? { sbom: ref(KINDS.SBOMSPDXv2p3, ns, out.sbomName) } : {}),
        ...(out.manifest ? { manifest: ref(KINDS.VulnerabilityManifest, ns, out.manifest.name) } : {}),
        summaries: out.summaries,
        severities: out.manifest?.counts ?? zero,
        status: out.status,
      },
      {
        source: ctx.source,
        id: derivedId(['vulnscan.completed', event.source, event.id]),
        ...(out.digest ? { subject: out.digest } : {}),
        causedBy: { traceparent: ctx.traceparent, tracestate: ctx.tracestate },
      },
    );
  }

  /**
   * A fresh install has no DB until the first scheduled refresh (hours away), and every scan until
   * then would end in the dead-letter sink: like kubevuln at start, load it as soon as a scan needs
   * it. In the background (the scan answers 503 and the broker retries it), once per interval, and
   * joined with any update already running. True when a load is running or was just started.
   */
  let lastAutoLoad = 0;
  function loadWhenEmpty(ctx: FunctionContext): boolean {
    if (!config.KSCAPE_VULNDB_LOAD_WHEN_EMPTY) return false;
    const now = Date.now();
    if (now - lastAutoLoad < LOAD_WHEN_EMPTY_INTERVAL_MS) return true;
    lastAutoLoad = now;
    ctx.log.info({ sources: config.KSCAPE_VULNDB_ECOSYSTEMS, base: config.KSCAPE_VULNDB_BASE_URL }, 'vulnerability database is empty: loading it now');
    db.update(config, undefined).then(
      (r) => log.info({ generation: r.generation, version: r.contentHash, imported: r.imported, ms: r.durationMs }, 'vulnerability DB updated'),
      (e: unknown) => log.warn({ err: e }, 'loading the empty vulnerability database failed; a later scan retries it'),
    );
    return true;
  }

  async function onDbUpdate(event: IncomingEvent, ctx: FunctionContext): Promise<undefined> {
    const data = event.data as EventData<typeof EVENT_TYPES.vulnDbUpdateRequested>;
    ctx.log.info({ sources: data.sources ?? config.KSCAPE_VULNDB_ECOSYSTEMS, base: config.KSCAPE_VULNDB_BASE_URL }, 'vulnerability DB update started');
    try {
      const r = await db.update(config, data.sources);
      ctx.log.info({ generation: r.generation, version: r.contentHash, imported: r.imported, invalid: r.invalid, downloads: r.downloads.length, ms: r.durationMs }, 'vulnerability DB updated');
    } catch (e) {
      if (e instanceof DownloadError) {
        if (e.retryable) throw new TransientError(`vulnerability DB download failed: ${e.message}`);
        throw new PermanentError(`vulnerability DB update rejected: ${e.message}`);
      }
      if (e instanceof ConcurrentUpdateError) throw new TransientError(e.message);
      if (e instanceof TransientError || e instanceof PermanentError) throw e;
      throw new TransientError(`vulnerability DB update failed: ${message(e)}`);
    }
    return undefined;
  }

  /** The stored, ready image SBOM of a digest: by the slug of the reported image, else by the image-id annotation. */
  async function findImageSbom(results: Results, image: string | undefined, digest: string): Promise<StoredObject & { spec: { spdx: SpdxJson } } | undefined> {
    const usable = (o: StoredObject | undefined): o is StoredObject & { spec: { spdx: SpdxJson } } =>
      o?.metadata.annotations?.[ANNOTATIONS.status] === STATUS.ready && o.metadata.annotations[ANNOTATIONS.imageId] === digest && typeof (o.spec as { spdx?: unknown } | undefined)?.spdx === 'object';
    if (image) {
      const o = await results.get(PLURALS.SBOMSPDXv2p3, ns, safeSlug(image, digest));
      if (usable(o)) return o;
    }
    for (const m of await results.listMetadata(PLURALS.SBOMSPDXv2p3, ns)) {
      const a = m.metadata.annotations ?? {};
      if (a[ANNOTATIONS.imageId] !== digest || a[ANNOTATIONS.status] !== STATUS.ready) continue;
      const o = await results.get(PLURALS.SBOMSPDXv2p3, ns, m.metadata.name);
      if (usable(o)) return o;
    }
    return undefined;
  }

  async function onRelevancy(event: IncomingEvent, ctx: FunctionContext): Promise<undefined> {
    const data = event.data as RelevancyReport & { completion?: unknown; status?: unknown; containerType?: unknown; truncated?: unknown };
    const completion = data.completion === COMPLETION.partial ? COMPLETION.partial : COMPLETION.complete;
    if (!config.KSCAPE_VULN_PARTIAL_RELEVANCY && (completion === COMPLETION.partial || data.status === 'incomplete')) {
      ctx.log.info({ container: data.container, completion, status: data.status }, 'relevancy report ignored: not observed from the container start (KSCAPE_VULN_PARTIAL_RELEVANCY=false)');
      return undefined;
    }
    const digest = data.imageDigest;
    if (!digest) throw new PermanentError('relevancy report without imageDigest: the image cannot be identified');
    const c = data.container;
    const wl = c.workload ?? { apiVersion: 'v1', kind: 'Pod', namespace: c.namespace, name: c.pod };
    const containerType = data.containerType === 'initContainers' || data.containerType === 'ephemeralContainers' ? data.containerType : 'containers';
    const w: WorkloadContainer = { apiVersion: wl.apiVersion, kind: wl.kind, namespace: c.namespace, name: wl.name, container: c.container, containerType };
    const results = new Results(http(), ctx.signal);
    const createdAt = (event.time ? new Date(event.time) : now()).toISOString();

    let sbom = await storage('reading the image SBOM', () => findImageSbom(results, data.image, digest));
    if (!sbom) {
      // No scan of this image yet (kubevuln scans it then): scan it now, without pull secrets.
      if (!data.image) throw new PermanentError(`no SBOM stored for ${digest} and the report names no image to scan`);
      ctx.log.info({ image: data.image, digest }, 'no SBOM for the reported image yet: scanning it');
      const out = await scanImage({ image: data.image, digest, workloads: [], pullSecrets: [] }, new Date(createdAt), ctx);
      if (out.status !== 'ready') throw new PermanentError(`image ${data.image} could not be scanned (${out.status}); relevancy needs its SBOM`);
      sbom = await storage('reading the image SBOM', () => findImageSbom(results, data.image, digest));
      if (!sbom) throw new TransientError(`SBOM of ${digest} not readable after the scan`);
    }
    const image = sbom.metadata.annotations?.[ANNOTATIONS.imageTag] ?? data.image ?? digest;
    const sbomKey = sbom.metadata.annotations?.[SBOM_KEY_ANNOTATION] ?? sbomCacheKey(digest, platform);
    const all = await ensureImageManifest(results, image, digest, sbom.spec.spdx, sbomKey, createdAt);

    const filtered = filterSbom(sbom.spec.spdx, data.files, TOOL_CREATOR, createdAt.replace(/\.\d{3}Z$/, 'Z'));
    const { result, matched, db: used } = await match(filtered.kept);
    const payload = grypeDocument({ image, digest, packages: filtered.kept, result, matched, db: used, ...(distroOf(filtered.kept) ? { distro: distroOf(filtered.kept)! } : {}) });
    let name: string;
    try {
      name = relevantName(w);
    } catch (e) {
      throw new PermanentError(`container ${c.namespace}/${c.pod}/${c.container} cannot be named: ${message(e)}`);
    }
    const extra: Record<string, string> = { [ANNOTATIONS.completion]: completion };
    const identity = { image, digest, namespace: ns, sbomKey, createdAt, matchConfig };
    if (config.KSCAPE_VULN_STORE_FILTERED_SBOM) {
      const labels: Record<string, string> = { ...workloadLabels(w), [LABELS.context]: CONTEXT.filtered };
      const tag = imageLabelValue(image);
      if (tag) labels[LABELS.imageTag] = tag;
      const obj = {
        apiVersion: API_VERSION,
        kind: KINDS.SBOMSPDXv2p3Filtered,
        metadata: {
          name,
          namespace: ns,
          labels,
          annotations: {
            [ANNOTATIONS.imageId]: digest,
            [ANNOTATIONS.imageTag]: image,
            [ANNOTATIONS.instanceId]: instanceId(instanceRefOf(w)),
            [ANNOTATIONS.wlid]: wlid(cluster, w.namespace, w.kind, w.name),
            [ANNOTATIONS.workloadContainerName]: w.container,
            [ANNOTATIONS.status]: data.status === 'incomplete' ? STATUS.incomplete : STATUS.ready,
            [ANNOTATIONS.completion]: completion,
            [ANNOTATIONS.toolVersion]: `${TOOL_NAME}-${TOOL_VERSION}`,
            [ANNOTATIONS.resourceSize]: String(filtered.kept.length),
          },
        },
        spec: { metadata: { tool: { name: TOOL_NAME, version: TOOL_VERSION }, report: { createdAt } }, spdx: filtered.doc },
      };
      await storage('writing the filtered SBOM', () => results.upsert(PLURALS.SBOMSPDXv2p3Filtered, obj));
    }
    const vm = relevantManifest(identity, w, cluster, payload, used, extra);
    await storage('writing the relevant manifest', () => results.upsert(PLURALS.VulnerabilityManifest, vm));
    const rel: ManifestRef = { namespace: ns, name, counts: severityCounts(payload), createdAt };
    const summary = summaryObject(w, cluster, image, digest, all.ref, rel);
    await storage('writing the vulnerability summary', () => results.upsert(PLURALS.VulnerabilityManifestSummary, summary));
    ctx.log.info({ container: `${c.namespace}/${c.pod}/${c.container}`, digest, filesInUse: data.files.length, packages: packagesFromSpdx(sbom.spec.spdx).length, relevantPackages: filtered.kept.length, unownedFiles: filtered.unowned, relevant: rel.counts, all: all.counts }, 'relevancy applied');
    return undefined;
  }

  return {
    name: 'vuln',
    consumes: FUNCTION_ROUTES.vuln.consumes,
    async handle(event, ctx) {
      try {
        if (event.type === EVENT_TYPES.vulnScanRequested) return await onVulnScan(event, ctx);
        if (event.type === EVENT_TYPES.relevancyReported) return await onRelevancy(event, ctx);
      } catch (e) {
        if (e instanceof EmptyVulnDbError && loadWhenEmpty(ctx)) {
          throw new EmptyVulnDbError(`the vulnerability database is empty and is being loaded from ${config.KSCAPE_VULNDB_BASE_URL}; the scan will be retried`);
        }
        throw e;
      }
      if (event.type === EVENT_TYPES.vulnDbUpdateRequested) return onDbUpdate(event, ctx);
      throw new PermanentError(`vuln does not handle ${event.type}`);
    },
    /**
     * Ready once the DB is reachable. An empty DB does not make the function unready: in Knative an
     * unready revision never receives the vulndb.update request that would fill it. The DB version
     * and age are logged whenever they change (the host's readiness body carries no details).
     */
    async ready() {
      const s = await db.status(30_000);
      const line = `${s.generation ?? 'none'}|${s.contentHash ?? ''}`;
      if (line !== lastReported) {
        lastReported = line;
        const info = { generation: s.generation, version: s.contentHash, builtAt: s.builtAt, ageSeconds: s.ageSeconds, advisories: s.advisories, catalogers: CATALOGER_VERSION };
        if (s.generation === null) log.warn(info, 'vulnerability database is empty; scans will be retried until it is loaded');
        else log.info(info, 'vulnerability database');
      }
      // Ready even when empty: an unready revision would never receive the update that fills it.
      return { vulnerabilityDb: { generation: s.generation, version: s.contentHash, builtAt: s.builtAt, ageSeconds: s.ageSeconds, advisories: s.advisories } };
    },
    async close() {
      await db.close();
    },
  };
}

/** imageSlug, with an unusable name mapped to a permanent failure (Kubescape errors too). */
function safeSlug(image: string, digest: string): string {
  try {
    return imageSlug(image, digest);
  } catch (e) {
    throw new PermanentError(`cannot name the results of ${image}: ${message(e)}`);
  }
}
