/**
 * schedule: turns PingSource ticks into scan requests (DESIGN.md §6).
 *
 * - posture → one configscan request for the cluster (reply event);
 * - vulnerability → one vulnscan request per distinct running image digest (emitted to K_SINK);
 * - vulndb → a vulnerability-DB update request (reply event);
 * - tick → nothing yet: debounced continuous scanning (issue 7) is what it will flush.
 *
 * Event ids are derived from the ping's source and id, so a redelivered ping produces the same
 * request ids and idempotent consumers do the work once.
 */
import { createHash } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { buildEvent, EVENT_TYPES, FUNCTION_ROUTES, type CatalogEvent } from '../../lib/events/index.js';
import { loadKubeConfig, paged } from '../../lib/kube/client.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from '../runtime/types.js';
import { loadScheduleConfig, type ScheduleConfig } from './config.js';
import { fanOutVulnerabilityScans, type PodLike } from './images.js';

export interface ScheduleDeps {
  config?: ScheduleConfig;
  /** Running pods of the cluster; defaults to a paged list through client-node. */
  listPods?: () => AsyncIterable<PodLike>;
  now?: () => Date;
}

export function derivedId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

function clusterPods(): () => AsyncIterable<PodLike> {
  let api: CoreV1Api | undefined;
  return () => {
    api ??= loadKubeConfig().makeApiClient(CoreV1Api);
    const client = api;
    return paged<PodLike>(async (cont) => {
      try {
        return (await client.listPodForAllNamespaces({ limit: 500, ...(cont ? { _continue: cont } : {}) })) as {
          items: PodLike[];
          metadata?: { _continue?: string };
        };
      } catch (e) {
        throw new TransientError(`listing pods failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  };
}

export function createScheduleFunction(deps: ScheduleDeps = {}): FunctionDefinition {
  const config = deps.config ?? loadScheduleConfig();
  const listPods = deps.listPods ?? clusterPods();
  const now = deps.now ?? (() => new Date());

  async function onPing(event: IncomingEvent, ctx: FunctionContext): Promise<CatalogEvent | undefined> {
    const { job } = event.data as { job: 'posture' | 'vulnerability' | 'vulndb' | 'tick' };
    const trace = { traceparent: ctx.traceparent, tracestate: ctx.tracestate };
    switch (job) {
      case 'posture':
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
        return buildEvent(EVENT_TYPES.vulnDbUpdateRequested, {}, {
          source: ctx.source,
          id: derivedId([event.source, event.id, 'vulndb']),
          causedBy: trace,
        });
      case 'vulnerability': {
        const pods: PodLike[] = [];
        for await (const p of listPods()) pods.push(p);
        const { requests, skipped } = fanOutVulnerabilityScans(pods, {
          now: now(),
          includeNamespaces: config.KSCAPE_INCLUDE_NAMESPACES,
          excludeNamespaces: config.KSCAPE_EXCLUDE_NAMESPACES,
          nakedPodGuardMs: config.KSCAPE_NAKED_POD_GUARD,
        });
        ctx.log.info({ pods: pods.length, images: requests.length, skipped: skipped.length }, 'vulnerability fan-out');
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
        return undefined;
      }
      case 'tick':
        return undefined;
    }
  }

  return {
    name: 'schedule',
    consumes: FUNCTION_ROUTES.schedule.consumes,
    async handle(event, ctx) {
      if (event.type === EVENT_TYPES.ping) return onPing(event, ctx);
      throw new PermanentError(
        `continuous scanning from cluster changes (${event.type}) is not available in this version of kscape`,
      );
    },
  };
}
