/**
 * The scan function's host-facts side:
 *  - `io.kubescape.host.reported` → validate the facts against node-agent's schema, keep the latest
 *    per node (store.ts), evaluate the controls of the default frameworks that apply to that Node
 *    (the host/control-plane controls) and write the Node's WorkloadConfigurationScan(+Summary)
 *    through the result writer — the same selection a default posture scan uses, so the two never
 *    overwrite each other with different control sets;
 *  - posture scans ask `objectsFor(objects)` for the facts of the Nodes they read, so cluster scans
 *    evaluate host controls for nodes that reported and report them skipped/`integration` otherwise.
 *
 * Database: the one the host process shares (dev mode), else `DATABASE_URL` (PostgreSQL), opened on
 * first use. Without either, facts live in an in-memory PGlite opened by the first host report (a
 * posture scan never opens one just to find it empty).
 */
import type { Logger } from 'pino';
import { openDatabase, type Database } from '../../../lib/db/index.js';
import type { EventData, EVENT_TYPES } from '../../../lib/events/index.js';
import { PermanentError, TransientError } from '../../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../../runtime/types.js';
import { KubeStatusError, kubeJson, type KubeHttp } from '../../../lib/kube/http.js';
import type { KubeObject } from '../engine/types.js';
import { isKubeObject } from '../engine/objects.js';
import {
  scanResources,
  ScanSelectionError,
  type ControlInputs,
  type PostureExceptionPolicy,
} from '../index.js';
import { buildResults } from '../results/build.js';
import { ResultWriter } from '../results/writer.js';
import { HostFactsError, hostFactsObject, parseHostFacts } from './facts.js';
import { SqlHostFactsStore, type HostFactsStore } from './store.js';

type HostReport = EventData<typeof EVENT_TYPES.hostReported>;

/** Facts older than this are not current (node-agent re-sends every 5 min even when unchanged). */
export const HOST_FACTS_MAX_AGE_MS = 30 * 60_000;
/** Rows of nodes silent for this long are deleted. */
export const HOST_FACTS_RETENTION_MS = 7 * 24 * 3600_000;
/** Largest facts document accepted (node-agent bounds each file at 1 MiB; a report is far smaller). */
export const HOST_FACTS_MAX_BYTES = 4 * 1024 * 1024;

export interface HostServiceOptions {
  frameworks: readonly string[];
  clusterName: string;
  operatorNamespace: string;
  http: () => KubeHttp;
  now: () => Date;
  settings: () => Promise<{ exceptions: PostureExceptionPolicy[]; inputs: ControlInputs }>;
  /** Shared database (dev mode); else DATABASE_URL, else in-memory PGlite on the first report. */
  database?: Database;
  /** Injected store (tests). */
  store?: HostFactsStore;
  env?: NodeJS.ProcessEnv;
}

export interface HostFactsService {
  onReported(event: IncomingEvent, ctx: FunctionContext): Promise<undefined>;
  /** NodeHostFacts objects for the Nodes among `objects` that reported recently. */
  objectsFor(objects: readonly KubeObject[], log: Logger): Promise<KubeObject[]>;
  close(): Promise<void>;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createHostFactsService(opts: HostServiceOptions): HostFactsService {
  const env = opts.env ?? process.env;
  let storePromise: Promise<HostFactsStore> | undefined = opts.store
    ? Promise.resolve(opts.store)
    : undefined;
  let owned: Database | undefined;

  const store = (): Promise<HostFactsStore> =>
    (storePromise ??= (async () => {
      const db = opts.database ?? (owned = await openDatabase());
      return SqlHostFactsStore.open(db);
    })().catch((e: unknown) => {
      storePromise = undefined;
      throw new TransientError(`host facts store unavailable: ${message(e)}`);
    }));

  /** Whether a posture scan may look for facts without creating an empty in-memory database. */
  const storeAvailable = (): boolean =>
    storePromise !== undefined || opts.database !== undefined || !!env.DATABASE_URL;

  async function onReported(event: IncomingEvent, ctx: FunctionContext): Promise<undefined> {
    const data = event.data as HostReport;
    if (Buffer.byteLength(JSON.stringify(data.facts)) > HOST_FACTS_MAX_BYTES)
      throw new PermanentError(`host facts of ${data.nodeName} exceed ${HOST_FACTS_MAX_BYTES} bytes`);
    let facts;
    try {
      facts = parseHostFacts(data.facts);
    } catch (e) {
      if (e instanceof HostFactsError) throw new PermanentError(e.message);
      throw e;
    }
    if (facts.nodeName !== data.nodeName)
      throw new PermanentError(
        `host facts name node ${facts.nodeName} but the event is for ${data.nodeName}`,
      );
    const collectedAt = new Date(data.collectedAt);
    const now = opts.now();
    const s = await store();
    let outcome;
    try {
      outcome = await s.put(data.nodeName, collectedAt, facts, now);
      await s.prune(new Date(now.getTime() - HOST_FACTS_RETENTION_MS));
    } catch (e) {
      throw new TransientError(`storing host facts failed: ${message(e)}`);
    }
    if (outcome === 'stale') {
      ctx.log.info({ node: data.nodeName, collectedAt: data.collectedAt }, 'older host report ignored');
      return undefined;
    }

    let node: unknown;
    try {
      node = await kubeJson(opts.http(), 'GET', `/api/v1/nodes/${encodeURIComponent(data.nodeName)}`, {
        signal: ctx.signal,
      });
    } catch (e) {
      if (e instanceof KubeStatusError && e.status === 404) {
        // Not registered yet (or gone): the facts are kept for the next posture scan.
        ctx.log.info({ node: data.nodeName }, 'host facts stored; no Node object to attach results to');
        return undefined;
      }
      throw new TransientError(`reading Node ${data.nodeName} failed: ${message(e)}`);
    }
    if (!isKubeObject(node)) throw new TransientError(`Node ${data.nodeName}: unexpected API answer`);
    const nodeObject: KubeObject = { ...node, apiVersion: 'v1', kind: 'Node' };

    const { exceptions, inputs } = await opts.settings();
    let report;
    try {
      report = scanResources([nodeObject, hostFactsObject(data.nodeName, data.collectedAt, facts)], {
        frameworks: opts.frameworks,
        exceptions,
        inputs,
        clusterName: opts.clusterName,
        now,
      });
    } catch (e) {
      if (e instanceof ScanSelectionError) throw new PermanentError(e.message);
      throw e;
    }
    const entries = buildResults(report, [nodeObject], {
      operatorNamespace: opts.operatorNamespace,
      clusterName: opts.clusterName,
      // Stable across redeliveries and independent of the event id: the node and its facts' time.
      scanId: `host-${data.nodeName}-${data.collectedAt}`,
    });
    const writer = new ResultWriter(opts.http(), ctx.signal);
    const outcomes: string[] = [];
    try {
      for (const entry of entries) outcomes.push(await writer.write(entry));
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new TransientError(`writing host control results failed: ${message(e)}`);
    }
    ctx.log.info(
      { node: data.nodeName, results: entries.length, outcomes, status: entries[0]?.status },
      'host controls evaluated',
    );
    return undefined;
  }

  async function objectsFor(objects: readonly KubeObject[], log: Logger): Promise<KubeObject[]> {
    const nodes = objects.filter((o) => o.kind === 'Node').map((o) => o.metadata.name);
    if (nodes.length === 0 || !storeAvailable()) return [];
    const since = new Date(opts.now().getTime() - HOST_FACTS_MAX_AGE_MS);
    try {
      const rows = await (await store()).list(nodes, since);
      log.info({ nodes: nodes.length, withFacts: rows.length }, 'host facts loaded');
      return rows.map((r) => hostFactsObject(r.nodeName, r.collectedAt.toISOString(), r.facts));
    } catch (e) {
      // Without facts the host controls are reported skipped: better than failing the whole scan.
      log.warn({ err: message(e) }, 'host facts unavailable; host controls reported skipped');
      return [];
    }
  }

  return {
    onReported,
    objectsFor,
    async close() {
      if (owned) await owned.close();
    },
  };
}
