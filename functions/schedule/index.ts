/**
 * schedule: turns PingSource ticks and cluster changes into scan requests (DESIGN.md §6).
 *
 * - posture → one configscan request for the cluster (reply event), and the cluster inventory
 *   (`io.kubescape.cluster.inventoried`, emitted; best effort: a failed listing is logged and does
 *   not hold back the scan);
 * - vulnerability → one vulnscan request per distinct running image digest (emitted to K_SINK);
 * - vulndb → a vulnerability-DB update request (reply event);
 * - tick → flushes debounced continuous-scan work that is due;
 * - ApiServerSource add/update → debounced scoped rescans and new-image vulnscans;
 *   delete → the resource's results are deleted.
 *
 * Event ids are derived from the ping's source and id, so a redelivered ping produces the same
 * request ids and idempotent consumers do the work once.
 */
import { createHash } from 'node:crypto';
import { ANNOTATIONS } from '../../lib/api/index.js';
import { openDatabase, type Database } from '../../lib/db/index.js';
import {
  buildEvent,
  EVENT_TYPES,
  FUNCTION_ROUTES,
  type CatalogEvent,
  type KubernetesObject,
  type ObjectRef,
} from '../../lib/events/index.js';
import { loadKubeAccess } from '../../lib/kube/access.js';
import { kubeHttp, KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import { listPages } from '../../lib/kube/paged.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from '../runtime/types.js';
import { loadScheduleConfig, type ScheduleConfig } from './config.js';
import { decideChange } from './continuous.js';
import { liveState, planVulnerabilityGc, type StoredResult, type WorkloadLike } from './gc.js';
import { kubeResultCollector, type ResultCollector } from './gc-kube.js';
import { digestOf, fanOutVulnerabilityScans, type PodLike } from './images.js';
import { clusterInventory, type Inventory } from './inventory.js';
import { kubeResultDeleter, type ResultDeleter } from './results.js';
import { ScheduleStore } from './store/index.js';

export interface ScheduleDeps {
  config?: ScheduleConfig;
  /** Running pods of the cluster; defaults to a paged list through client-node. */
  listPods?: () => AsyncIterable<PodLike>;
  /** One pod, or undefined when it is gone (naked pods are re-read when their guard time ends). */
  getPod?: (namespace: string, name: string) => Promise<PodLike | undefined>;
  /** Debounce state; default: tables in `database`, else a database from DATABASE_URL (else embedded PGlite), opened on first use. */
  store?: ScheduleStore;
  /** A database shared with other components of the process (not closed by this function). */
  database?: Database;
  deleter?: ResultDeleter;
  /** The cluster inventory sent on posture pings; default: listed through client-node. */
  inventory?: (now: Date) => Promise<Inventory>;
  /** Stored vulnerability results and the cluster's workloads, for garbage collection; default: through the Kubernetes API. */
  collector?: ResultCollector;
  now?: () => Date;
}

/** Requests per configscan event when a tick flushes many objects. */
const OBJECTS_PER_REQUEST = 500;

export function derivedId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

function clusterPods(http: KubeHttp): () => AsyncIterable<PodLike> {
  return async function* () {
    try {
      yield* listPages<PodLike>(http, '/api/v1/pods');
    } catch (e) {
      throw new TransientError(`listing pods failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

function clusterPod(http: KubeHttp): (namespace: string, name: string) => Promise<PodLike | undefined> {
  return async (namespace, name) => {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    let r;
    try {
      r = await http.request('GET', path);
    } catch (e) {
      throw new TransientError(
        `reading pod ${namespace}/${name} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300)
      throw new TransientError(
        `reading pod ${namespace}/${name} failed: ${new KubeStatusError('GET', path, r.status, r.body).message}`,
      );
    return r.body as PodLike;
  };
}

export function createScheduleFunction(deps: ScheduleDeps = {}): FunctionDefinition {
  const config = deps.config ?? loadScheduleConfig();
  // One client for every cluster call; it reads its configuration on the first request.
  const http = kubeHttp(() => loadKubeAccess());
  const listPods = deps.listPods ?? clusterPods(http);
  const getPod = deps.getPod ?? clusterPod(http);
  const deleter = deps.deleter ?? kubeResultDeleter(config.KSCAPE_NAMESPACE, http);
  const now = deps.now ?? (() => new Date());
  const inventory = deps.inventory ?? clusterInventory(http);
  let collector = deps.collector;
  const resultCollector = (): ResultCollector => (collector ??= kubeResultCollector(http));
  let ownDb: Database | undefined;
  let storePromise: Promise<ScheduleStore> | undefined = deps.store ? Promise.resolve(deps.store) : undefined;
  const store = (): Promise<ScheduleStore> =>
    (storePromise ??= (async () => {
      if (deps.database) return ScheduleStore.open(deps.database);
      ownDb = await openDatabase({ applicationName: 'kscape-schedule' });
      return ScheduleStore.open(ownDb);
    })().catch((e: unknown) => {
      storePromise = undefined;
      throw new TransientError(
        `schedule database unavailable: ${e instanceof Error ? e.message : String(e)}`,
      );
    }));
  const fanOutOptions = () => ({
    now: now(),
    includeNamespaces: config.KSCAPE_INCLUDE_NAMESPACES,
    excludeNamespaces: config.KSCAPE_EXCLUDE_NAMESPACES,
    nakedPodGuardMs: config.KSCAPE_NAKED_POD_GUARD,
  });

  /** Emit vulnscan requests for the pods' digests not requested recently; mark them after emitting. */
  async function requestImages(
    pods: PodLike[],
    cause: IncomingEvent,
    ctx: FunctionContext,
    ignoreGuard: boolean,
  ): Promise<number> {
    const opts = fanOutOptions();
    const { requests } = fanOutVulnerabilityScans(pods, ignoreGuard ? { ...opts, nakedPodGuardMs: 0 } : opts);
    const st = await store();
    const digests = requests.map((r) => r.digest).filter((d): d is string => d !== undefined);
    const recent = await st.recentlyRequested(digests, opts.now, config.KSCAPE_IMAGE_RESCAN_AFTER);
    const fresh = requests.filter((r) => r.digest && !recent.has(r.digest));
    for (const r of fresh) {
      await ctx.emit(
        buildEvent(
          EVENT_TYPES.vulnScanRequested,
          { ...r, reason: 'image-changed' },
          {
            source: ctx.source,
            id: derivedId([cause.source, cause.id, r.digest ?? r.image]),
            subject: r.digest,
            causedBy: { traceparent: ctx.traceparent, tracestate: ctx.tracestate },
          },
        ),
      );
    }
    await st.markRequested(
      fresh.map((r) => r.digest!),
      opts.now,
    );
    return fresh.length;
  }

  async function onChange(event: IncomingEvent, ctx: FunctionContext): Promise<undefined> {
    const change =
      event.type === EVENT_TYPES.resourceDelete
        ? 'delete'
        : event.type === EVENT_TYPES.resourceAdd
          ? 'add'
          : 'update';
    const obj = event.data as KubernetesObject;
    const decision = decideChange(change, obj, {
      includeNamespaces: config.KSCAPE_INCLUDE_NAMESPACES,
      excludeNamespaces: config.KSCAPE_EXCLUDE_NAMESPACES,
      nakedPodGuardMs: config.KSCAPE_NAKED_POD_GUARD,
    });
    const st = await store();
    const t = now();
    switch (decision.action) {
      case 'ignore':
        ctx.log.debug({ kind: obj.kind, name: obj.metadata.name, reason: decision.reason }, 'change ignored');
        return undefined;
      case 'delete-results':
        await st.forget(decision.ref);
        await deleter.deleteResultsOf(decision.ref);
        ctx.log.info({ ref: decision.ref }, 'resource deleted: its results were deleted');
        return undefined;
      case 'rescan':
        await st.touch(
          'configscan',
          decision.ref,
          t,
          config.KSCAPE_DEBOUNCE_WINDOW,
          config.KSCAPE_DEBOUNCE_MAX_WAIT,
        );
        break;
      case 'images-only':
        break;
    }
    const timing = decision.podImages;
    if (timing === 'now') await requestImages([obj as PodLike], event, ctx, false);
    else if (timing) {
      const pod = obj.metadata as { name: string; namespace?: string };
      await st.scheduleAt(
        'podimages',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.name,
          ...(pod.namespace ? { namespace: pod.namespace } : {}),
        },
        timing.after,
        t,
      );
    }
    return undefined;
  }

  async function onTick(event: IncomingEvent, ctx: FunctionContext): Promise<undefined> {
    const st = await store();
    const due = await st.claimDue(now(), config.KSCAPE_TICK_BATCH);
    if (due.length === 0) return undefined;
    const objects: ObjectRef[] = due.filter((d) => d.job === 'configscan').map((d) => d.ref);
    for (let i = 0; i < objects.length; i += OBJECTS_PER_REQUEST) {
      const chunk = objects.slice(i, i + OBJECTS_PER_REQUEST);
      const id = derivedId([event.source, event.id, 'configscan', String(i)]);
      await ctx.emit(
        buildEvent(
          EVENT_TYPES.configScanRequested,
          {
            scanId: id,
            scope: { objects: chunk },
            frameworks: [...config.KSCAPE_FRAMEWORKS],
            reason: 'changed',
          },
          { source: ctx.source, id, causedBy: { traceparent: ctx.traceparent, tracestate: ctx.tracestate } },
        ),
      );
    }
    const pods: PodLike[] = [];
    for (const d of due.filter((x) => x.job === 'podimages')) {
      const pod = await getPod(d.ref.namespace ?? '', d.ref.name);
      if (pod) pods.push(pod);
    }
    const images = pods.length ? await requestImages(pods, event, ctx, false) : 0;
    ctx.log.info({ objects: objects.length, nakedPods: pods.length, images }, 'debounced work flushed');
    return undefined;
  }

  /** The stored vulnerability results, or undefined when they cannot be listed (GC then waits for the next cycle). */
  async function snapshotResults(ctx: FunctionContext): Promise<StoredResult[] | undefined> {
    try {
      const out: StoredResult[] = [];
      for await (const r of resultCollector().listResults()) out.push(r);
      return out;
    } catch (e) {
      ctx.log.warn({ err: e }, 'garbage collection skipped this cycle: stored results could not be listed');
      return undefined;
    }
  }

  /**
   * Delete the vulnerability results of workload containers that are gone, and of images no pod has
   * run for KSCAPE_IMAGE_GC_GRACE. Failures are logged and left to the next cycle: the scan
   * requests of this cycle are already out and must not be redelivered because of GC.
   */
  async function collectGarbage(
    snapshot: StoredResult[] | undefined,
    pods: PodLike[],
    ctx: FunctionContext,
  ): Promise<void> {
    const t = now();
    const workloads: WorkloadLike[] = [];
    try {
      for await (const w of resultCollector().listWorkloads()) workloads.push(w);
    } catch (e) {
      ctx.log.warn({ err: e }, 'garbage collection skipped this cycle: workloads could not be listed');
      return;
    }
    const live = liveState(workloads, pods);
    const st = await store();
    await st.markSeen([...live.digests], t);
    if (!snapshot) return;
    const lastSeen = await st.lastSeen(
      snapshot
        .map((r) => digestOf(r.annotations[ANNOTATIONS.imageId]))
        .filter((d): d is string => d !== undefined),
    );
    const plan = planVulnerabilityGc(snapshot, live, {
      now: t,
      graceMs: config.KSCAPE_IMAGE_GC_GRACE,
      lastSeen,
    });
    const tally = { deleted: 0, gone: 0, changed: 0, failed: 0 };
    for (const { result, reason } of plan.delete) {
      try {
        const outcome = await resultCollector().delete(result);
        tally[outcome]++;
        if (outcome === 'deleted')
          ctx.log.debug(
            { plural: result.plural, namespace: result.namespace, name: result.name, reason },
            'result collected',
          );
      } catch (e) {
        tally.failed++;
        ctx.log.warn(
          { err: e, plural: result.plural, namespace: result.namespace, name: result.name },
          'result could not be collected (next cycle retries)',
        );
      }
    }
    await st.forgetSeen(plan.collectedDigests);
    if (plan.unattributed.length) {
      ctx.log.debug(
        { results: plan.unattributed.map((r) => `${r.plural}/${r.namespace}/${r.name}`) },
        'results without a workload or image key are kept',
      );
    }
    ctx.log.info(
      {
        stored: snapshot.length,
        ...tally,
        inGrace: plan.inGrace,
        unattributed: plan.unattributed.length,
        runningImages: live.digests.size,
      },
      'vulnerability results garbage-collected',
    );
  }

  async function onPing(event: IncomingEvent, ctx: FunctionContext): Promise<CatalogEvent | undefined> {
    const { job } = event.data as { job: 'posture' | 'vulnerability' | 'vulndb' | 'tick' };
    const trace = { traceparent: ctx.traceparent, tracestate: ctx.tracestate };
    switch (job) {
      case 'posture':
        try {
          const inv = await inventory(now());
          await ctx.emit(
            buildEvent(EVENT_TYPES.clusterInventoried, inv, {
              source: ctx.source,
              id: derivedId([event.source, event.id, 'inventory']),
              causedBy: trace,
            }),
          );
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          ctx.log.warn({ err: e }, 'cluster inventory not sent this cycle');
        }
        return buildEvent(
          EVENT_TYPES.configScanRequested,
          {
            scanId: derivedId([event.source, event.id, 'posture']),
            scope: config.KSCAPE_INCLUDE_NAMESPACES.length
              ? { namespaces: [...config.KSCAPE_INCLUDE_NAMESPACES] }
              : { excludeNamespaces: [...config.KSCAPE_EXCLUDE_NAMESPACES] },
            frameworks: [...config.KSCAPE_FRAMEWORKS],
            reason: 'scheduled',
          },
          { source: ctx.source, id: derivedId([event.source, event.id, 'posture']), causedBy: trace },
        );
      case 'vulndb':
        return buildEvent(
          EVENT_TYPES.vulnDbUpdateRequested,
          {},
          {
            source: ctx.source,
            id: derivedId([event.source, event.id, 'vulndb']),
            causedBy: trace,
          },
        );
      case 'vulnerability': {
        // Results are listed before the cluster is read: whatever a result belongs to that is
        // running now is then certainly in the pod and workload lists (see gc.ts).
        const snapshot = await snapshotResults(ctx);
        const pods: PodLike[] = [];
        for await (const p of listPods()) pods.push(p);
        const { requests, skipped } = fanOutVulnerabilityScans(pods, {
          now: now(),
          includeNamespaces: config.KSCAPE_INCLUDE_NAMESPACES,
          excludeNamespaces: config.KSCAPE_EXCLUDE_NAMESPACES,
          nakedPodGuardMs: config.KSCAPE_NAKED_POD_GUARD,
        });
        ctx.log.info(
          { pods: pods.length, images: requests.length, skipped: skipped.length },
          'vulnerability fan-out',
        );
        if (skipped.length) ctx.log.debug({ skipped }, 'pods left out of the vulnerability fan-out');
        for (const r of requests) {
          await ctx.emit(
            buildEvent(EVENT_TYPES.vulnScanRequested, r, {
              source: ctx.source,
              id: derivedId([event.source, event.id, r.digest ?? r.image]),
              subject: r.digest,
              causedBy: trace,
            }),
          );
        }
        // Pods starting right after this cycle need not request these images again.
        await (
          await store()
        ).markRequested(
          requests.map((r) => r.digest).filter((d): d is string => d !== undefined),
          now(),
        );
        await collectGarbage(snapshot, pods, ctx);
        return undefined;
      }
      case 'tick':
        return onTick(event, ctx);
    }
  }

  return {
    name: 'schedule',
    consumes: FUNCTION_ROUTES.schedule.consumes,
    async handle(event, ctx) {
      if (event.type === EVENT_TYPES.ping) return onPing(event, ctx);
      if (
        event.type === EVENT_TYPES.resourceAdd ||
        event.type === EVENT_TYPES.resourceUpdate ||
        event.type === EVENT_TYPES.resourceDelete
      ) {
        return onChange(event, ctx);
      }
      throw new PermanentError(`schedule does not handle ${event.type}`);
    },
    async ready() {
      await store();
    },
    async close() {
      await ownDb?.close();
    },
  };
}
