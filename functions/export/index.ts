/**
 * The export function: delivers completed results and the cluster inventory to the provider(s),
 * signed with Standard Webhooks (see deliver.ts for retries, rate limit, idempotency and the
 * hand-back to the broker's DeliverySpec and dead-letter sink).
 *
 * Formats (KSCAPE_PROVIDER_FORMAT):
 * - `cloudevents`: the event as one structured-mode CloudEvent (webhook-id = event id), then the
 *   result objects it names (and, with `sboms`, the image SBOM) as export-only CloudEvents chunked
 *   under a byte budget (cloudevents.ts; webhook-id = `<event id>.<n>` / `<event id>.sbom.<n>`).
 * - `kubescape`: Kubescape's reports (kubescape.ts), built from the result objects the event names,
 *   read from storage-api, and the raw objects read from the cluster; one POST per chunk with
 *   `X-API-KEY` and `customerGUID`; webhook-id = `<event id>.<chunk number>`.
 */
import { API_VERSION, KINDS } from '../../lib/api/index.js';
import { FUNCTION_ROUTES, EVENT_TYPES, type EventData, type EventType } from '../../lib/events/index.js';
import { logger } from '../../lib/log/index.js';
import { parseSecrets } from '../../lib/webhooks/index.js';
import { ConfigError, type Env } from '../../lib/config/env.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from '../runtime/types.js';
import {
  EXPORT_KIND_ALIASES,
  EXPORT_KINDS,
  loadExportConfig,
  type ExportConfig,
  type ExportKind,
} from './config.js';
import {
  chunkedExport,
  EXPORT_EVENT_TYPES,
  ExportBudgetError,
  sbomParts,
  vulnerabilityParts,
  type ChunkedExport,
} from './cloudevents.js';
import { Deliverer, type OutgoingMessage } from './deliver.js';
import { PermanentError } from '../runtime/errors.js';
import {
  containerScanChunks,
  inventoryChunks,
  postureReportChunks,
  scannedResourceID,
  type GrypeMatch,
  type ReportChunk,
  type ReportContext,
  type StoredScan,
} from './kubescape.js';
import { kubeResultSource, type ResultSource } from './results.js';

export { retryAfterMs } from './deliver.js';
export { EXPORT_EVENT_TYPES } from './cloudevents.js';

/** The selections an event serves (vulnscan.completed also names the image's SBOM). */
const KINDS_OF: Partial<Record<EventType, readonly ExportKind[]>> = {
  [EVENT_TYPES.configScanCompleted]: ['configscan'],
  [EVENT_TYPES.vulnScanCompleted]: ['vulnscan', 'sboms'],
  [EVENT_TYPES.clusterInventoried]: ['inventory'],
};

/** KSCAPE_EXPORT_KINDS with aliases resolved. */
export function exportKinds(cfg: ExportConfig): Set<ExportKind> {
  return new Set(
    cfg.KSCAPE_EXPORT_KINDS.map((k) => EXPORT_KIND_ALIASES[k] ?? (k as ExportKind)).filter((k) =>
      (EXPORT_KINDS as readonly string[]).includes(k),
    ),
  );
}

/** Smallest KSCAPE_EXPORT_RESULTS_CHUNK: room for a chunk's envelope and some items. */
const MIN_RESULTS_CHUNK = 1024;

/** Reads of result and cluster objects in flight at once (kubescape format). */
const READ_CONCURRENCY = 8;

export interface ExportOptions {
  env?: Env;
  config?: Partial<ExportConfig>;
  /** Overrides of KSCAPE_EXPORT_BACKOFF_BASE / _MAX (ms), for tests. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source of the backoff (tests pin it so a wait is exactly the backoff). */
  random?: () => number;
  /** Where the kubescape format reads results and cluster objects; default: the Kubernetes API. */
  results?: ResultSource;
}

/** The event as a structured-mode CloudEvent (JSON). */
export function structuredCloudEvent(event: IncomingEvent): string {
  return JSON.stringify({
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.type,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    ...(event.time !== undefined ? { time: event.time } : {}),
    datacontenttype: 'application/json',
    data: event.data,
  });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `group/version` or `version` from a Kubescape resource id's first two parts. */
function keyOfResourceID(id: string): { apiVersion: string; namespace?: string; kind: string; name: string } {
  const [group = '', version = 'v1', namespace = '', kind = '', ...rest] = id.split('/');
  return {
    apiVersion: group ? `${group}/${version}` : version,
    ...(namespace ? { namespace } : {}),
    kind,
    name: rest.join('/'),
  };
}

export function validateExportConfig(cfg: ExportConfig): void {
  const urls = cfg.KSCAPE_PROVIDER_URL;
  if (urls.length && parseSecrets(cfg.KSCAPE_PROVIDER_SECRET).length === 0) {
    throw new ConfigError([
      {
        variable: 'KSCAPE_PROVIDER_SECRET',
        value: '',
        allowed: 'whsec_<base64>',
        reason: 'required when KSCAPE_PROVIDER_URL is set (deliveries are always signed)',
      },
    ]);
  }
  for (const u of urls) {
    if (!/^https?:\/\/[^\s]+$/.test(u))
      throw new ConfigError([
        { variable: 'KSCAPE_PROVIDER_URL', value: u, allowed: 'http(s) URLs, comma-separated' },
      ]);
  }
  if (cfg.KSCAPE_EXPORT_RESULTS_CHUNK < MIN_RESULTS_CHUNK)
    throw new ConfigError([
      {
        variable: 'KSCAPE_EXPORT_RESULTS_CHUNK',
        value: String(cfg.KSCAPE_EXPORT_RESULTS_CHUNK),
        allowed: `at least ${MIN_RESULTS_CHUNK} bytes`,
        reason: 'a chunk must hold its envelope and at least small items',
      },
    ]);
  for (const k of cfg.KSCAPE_EXPORT_KINDS) {
    if (!(EXPORT_KINDS as readonly string[]).includes(EXPORT_KIND_ALIASES[k] ?? k))
      throw new ConfigError([
        { variable: 'KSCAPE_EXPORT_KINDS', value: k, allowed: EXPORT_KINDS.join(', ') },
      ]);
  }
}

export function createExportFunction(opts: ExportOptions = {}): FunctionDefinition {
  const cfg: ExportConfig = { ...loadExportConfig(opts.env ?? process.env), ...opts.config };
  validateExportConfig(cfg);
  const log = logger('export');
  const urls = cfg.KSCAPE_PROVIDER_URL;
  const kinds = exportKinds(cfg);
  if (urls.length && cfg.KSCAPE_PROVIDER_FORMAT === 'kubescape' && kinds.has('sboms'))
    log.warn(
      'KSCAPE_EXPORT_KINDS includes sboms, which the kubescape format has no report for: SBOMs are exported in the cloudevents format only',
    );
  const now = opts.now ?? Date.now;
  const deliverer = new Deliverer({
    secrets: parseSecrets(cfg.KSCAPE_PROVIDER_SECRET),
    budgetMs: cfg.KSCAPE_EXPORT_BUDGET,
    baseDelayMs: opts.baseDelayMs ?? cfg.KSCAPE_EXPORT_BACKOFF_BASE,
    maxDelayMs: opts.maxDelayMs ?? cfg.KSCAPE_EXPORT_BACKOFF_MAX,
    requestTimeoutMs: cfg.KSCAPE_EXPORT_REQUEST_TIMEOUT,
    ratePerSecond: cfg.KSCAPE_PROVIDER_RATE_LIMIT,
    now,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  let results: ResultSource | undefined = opts.results;
  const source = (): ResultSource => (results ??= kubeResultSource());
  let disabledLogged = false;

  async function postureInput(data: EventData<typeof EVENT_TYPES.configScanCompleted>) {
    const refs = data.results.filter((r) => r.kind === KINDS.WorkloadConfigurationScan);
    const scans = (
      await mapLimit(refs, READ_CONCURRENCY, (r) =>
        source().get({
          apiVersion: r.apiVersion || API_VERSION,
          kind: r.kind,
          namespace: r.namespace,
          name: r.name,
        }),
      )
    ).filter((s): s is Record<string, unknown> => s !== undefined) as unknown as StoredScan[];
    const ids = [
      ...new Set(
        scans
          .map(scannedResourceID)
          .filter((id): id is string => id !== undefined && !/\/(ServiceAccount|User|Group)\//.test(id)),
      ),
    ].slice(0, cfg.KSCAPE_EXPORT_MAX_RESOURCES);
    const raw = await mapLimit(
      ids,
      READ_CONCURRENCY,
      async (id) => [id, await source().get(keyOfResourceID(id))] as const,
    );
    const objects = new Map(
      raw.filter((e): e is readonly [string, Record<string, unknown>] => e[1] !== undefined),
    );
    const nodes = await source().countNodes();
    return {
      scanId: data.scanId,
      frameworks: data.frameworks,
      counts: data.counts,
      scans,
      objects,
      ...(nodes !== undefined ? { numberOfWorkerNodes: nodes } : {}),
    };
  }

  async function kubescapeChunks(event: IncomingEvent): Promise<ReportChunk[]> {
    const ctx: ReportContext = {
      customerGUID: cfg.KSCAPE_PROVIDER_ACCOUNT,
      clusterName: cfg.KSCAPE_CLUSTER_NAME,
      eventId: event.id,
      time: event.time ?? new Date(now()).toISOString(),
    };
    switch (event.type) {
      case EVENT_TYPES.configScanCompleted:
        return postureReportChunks(
          ctx,
          await postureInput(event.data as EventData<typeof EVENT_TYPES.configScanCompleted>),
          cfg.KSCAPE_EXPORT_POSTURE_CHUNK,
        );
      case EVENT_TYPES.vulnScanCompleted: {
        const d = event.data as EventData<typeof EVENT_TYPES.vulnScanCompleted>;
        const manifest = d.manifest
          ? await source().get({
              apiVersion: d.manifest.apiVersion,
              kind: d.manifest.kind,
              namespace: d.manifest.namespace,
              name: d.manifest.name,
            })
          : undefined;
        const matches = ((manifest?.spec as { payload?: { matches?: GrypeMatch[] } } | undefined)?.payload
          ?.matches ?? []) as GrypeMatch[];
        return containerScanChunks(
          ctx,
          {
            image: d.image,
            ...(d.digest ? { digest: d.digest } : {}),
            status: d.status,
            severities: d.severities,
            matches,
          },
          cfg.KSCAPE_EXPORT_VULN_CHUNK,
        );
      }
      case EVENT_TYPES.clusterInventoried: {
        const d = event.data as EventData<typeof EVENT_TYPES.clusterInventoried>;
        return inventoryChunks({ ...ctx, clusterName: d.clusterName }, d, cfg.KSCAPE_EXPORT_POSTURE_CHUNK);
      }
      default:
        return [];
    }
  }

  const get = (r: { apiVersion?: string; kind: string; namespace?: string | undefined; name: string }) =>
    source().get({
      apiVersion: r.apiVersion || API_VERSION,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
    });
  const present = (xs: (Record<string, unknown> | undefined)[]): Record<string, unknown>[] =>
    xs.filter((x): x is Record<string, unknown> => x !== undefined);

  /** The result exports (cloudevents format) that follow the completed event, per selection. */
  async function resultExports(event: IncomingEvent): Promise<ChunkedExport[]> {
    const common = {
      eventId: event.id,
      source: event.source,
      time: event.time ?? new Date(now()).toISOString(),
      maxBytes: cfg.KSCAPE_EXPORT_RESULTS_CHUNK,
    };
    const out: ChunkedExport[] = [];
    if (event.type === EVENT_TYPES.configScanCompleted && kinds.has('configscan')) {
      const d = event.data as EventData<typeof EVENT_TYPES.configScanCompleted>;
      const refs = d.results.filter((r) => r.kind === KINDS.WorkloadConfigurationScan);
      // Per resource: its summary, then (when configured) the full scan, in the event's order.
      const keys = refs.flatMap((r) => [
        { ...r, kind: KINDS.WorkloadConfigurationScanSummary },
        ...(cfg.KSCAPE_EXPORT_POSTURE_FULL ? [r] : []),
      ]);
      const items = present(await mapLimit(keys, READ_CONCURRENCY, get));
      out.push(
        chunkedExport({
          ...common,
          type: EXPORT_EVENT_TYPES.postureResults,
          subject: d.scanId,
          header: { scanId: d.scanId },
          sections: [{ key: 'items', items }],
        }),
      );
    }
    if (event.type === EVENT_TYPES.vulnScanCompleted) {
      const d = event.data as EventData<typeof EVENT_TYPES.vulnScanCompleted>;
      const header = { image: d.image, ...(d.digest ? { digest: d.digest } : {}), status: d.status };
      if (kinds.has('vulnscan') && (d.manifest || d.summaries.length)) {
        const manifest = d.manifest ? await get(d.manifest) : undefined;
        const summaries = present(await mapLimit(d.summaries, READ_CONCURRENCY, get));
        const parts = vulnerabilityParts(manifest, summaries);
        out.push(
          chunkedExport({
            ...common,
            type: EXPORT_EVENT_TYPES.vulnerabilityResults,
            subject: d.image,
            header,
            ...parts,
          }),
        );
      }
      if (kinds.has('sboms') && d.sbom) {
        const sbom = await get(d.sbom);
        if (sbom) {
          const parts = sbomParts(sbom);
          out.push(
            chunkedExport({
              ...common,
              eventId: `${event.id}.sbom`,
              type: EXPORT_EVENT_TYPES.sbom,
              subject: d.image,
              header,
              first: parts.first,
              sections: parts.sections,
              container: 'spdx',
            }),
          );
        }
      }
    }
    return out;
  }

  /** Messages of one event, built lazily (result chunks are assembled one at a time). */
  async function messages(event: IncomingEvent): Promise<{ count: number; all: Iterable<OutgoingMessage> }> {
    if (cfg.KSCAPE_PROVIDER_FORMAT === 'cloudevents') {
      const kind = KINDS_OF[event.type]?.find((k) => kinds.has(k));
      // vulnscan.completed selected only for its SBOM: the completed event itself is not exported.
      const sendEvent = kind !== 'sboms';
      let parts: ChunkedExport[];
      try {
        parts = await resultExports(event);
      } catch (e) {
        if (e instanceof ExportBudgetError)
          throw new PermanentError(`KSCAPE_EXPORT_RESULTS_CHUNK: ${e.message}`);
        throw e;
      }
      const body = structuredCloudEvent(event);
      const perUrl = (sendEvent ? 1 : 0) + parts.reduce((n, p) => n + p.chunks, 0);
      const contentType = 'application/cloudevents+json';
      return {
        count: perUrl * urls.length,
        all: (function* () {
          for (const url of urls) {
            if (sendEvent) yield { url, webhookId: event.id, body, contentType };
            for (const p of parts)
              for (const c of p.bodies()) yield { url, webhookId: c.id, body: c.body, contentType };
          }
        })(),
      };
    }
    if (event.type === EVENT_TYPES.vulnScanCompleted && !kinds.has('vulnscan')) return { count: 0, all: [] };
    const chunks = await kubescapeChunks(event);
    const headers = cfg.KSCAPE_PROVIDER_ACCESS_KEY
      ? { 'x-api-key': cfg.KSCAPE_PROVIDER_ACCESS_KEY }
      : undefined;
    const all = urls.flatMap((base) =>
      chunks.map((c) => ({
        url: base.replace(/\/+$/, '') + c.path,
        webhookId: `${event.id}.${c.chunkNumber}`,
        body: c.body,
        contentType: 'application/json',
        ...(headers ? { headers } : {}),
      })),
    );
    return { count: all.length, all };
  }

  return {
    name: 'export',
    consumes: FUNCTION_ROUTES.export.consumes,
    async handle(event, ctx: FunctionContext) {
      if (urls.length === 0) {
        if (!disabledLogged) {
          disabledLogged = true;
          log.info('KSCAPE_PROVIDER_URL is not set: export is disabled; events are acknowledged and skipped');
        }
        return undefined;
      }
      const kind = KINDS_OF[event.type]?.find((k) => kinds.has(k));
      if (!kind) return undefined;
      const out = await messages(event);
      if (out.count === 0) return undefined;
      await deliverer.deliver(out.all, ctx);
      ctx.log.info({ kind, format: cfg.KSCAPE_PROVIDER_FORMAT, messages: out.count }, 'exported');
      return undefined;
    },
  };
}
