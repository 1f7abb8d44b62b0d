/**
 * Turning collected data into catalog events and posting them to K_SINK.
 *
 * Event IDs are derived from the content (node, container, status, files), so a retried delivery
 * of the same report carries the same ID and consumers that deduplicate by ID see one event.
 *
 * Events are assembled here rather than with lib/events' buildEvent: that validates against the zod
 * catalog, and loading zod and the catalog would be a fifth of the agent's memory on every node.
 * report.test.ts checks every event this module builds against the catalog instead, and the data is
 * built from typed, already-bounded values (names from the API server, absolute paths from procfs).
 */
import { createHash } from 'node:crypto';
import type { EventData, EVENT_TYPES } from '../lib/events/catalog.js';
import type { CatalogEvent } from '../lib/events/build.js';
import type { EventSink } from './sink.js';
import { PermanentError } from '../functions/runtime/errors.js';
import type { HostFacts } from './host/facts.js';
import type { RelevancyReport } from './relevancy/tracker.js';

export const SOURCE_PREFIX = '/kscape/node-agent';

type HostType = typeof EVENT_TYPES.hostReported;
type RelevancyType = typeof EVENT_TYPES.relevancyReported;
const HOST_REPORTED: HostType = 'io.kubescape.host.reported';
const RELEVANCY_REPORTED: RelevancyType = 'io.kubescape.relevancy.reported';

/** The same frozen CloudEvents 1.0 object buildEvent produces, for data that needs no defaults. */
function event<T extends HostType | RelevancyType>(
  type: T,
  data: EventData<T>,
  attrs: { source: string; subject: string; id: string; time?: string },
): CatalogEvent<T> {
  return Object.freeze({
    specversion: '1.0',
    id: attrs.id,
    type,
    source: attrs.source,
    time: attrs.time ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    subject: attrs.subject,
    data,
  }) as CatalogEvent<T>;
}

export function hostEvent(
  nodeName: string,
  facts: HostFacts,
  hash: string,
  collectedAt: Date,
): CatalogEvent<HostType> {
  return event(
    HOST_REPORTED,
    { nodeName, collectedAt: collectedAt.toISOString(), facts },
    {
      source: `${SOURCE_PREFIX}/${nodeName}`,
      subject: nodeName,
      id: sha(`host|${nodeName}|${hash}|${collectedAt.toISOString()}`),
      time: collectedAt.toISOString(),
    },
  );
}

/** Undefined when the container's pod is not known (nothing to address the report to). */
export function relevancyEvent(
  nodeName: string,
  r: RelevancyReport,
): CatalogEvent<RelevancyType> | undefined {
  const id = r.identity;
  if (!id) return undefined;
  const filesHash = createHash('sha256');
  for (const f of r.files) filesHash.update(f).update('\0');
  return event(
    RELEVANCY_REPORTED,
    {
      nodeName,
      container: {
        namespace: id.namespace,
        pod: id.pod,
        container: id.container,
        containerID: id.containerID,
        ...(id.workload ? { workload: id.workload } : {}),
      },
      ...(id.image ? { image: id.image } : {}),
      ...(id.imageDigest ? { imageDigest: id.imageDigest } : {}),
      files: r.files,
      complete: r.complete,
      // Extensions of the catalog shape (tolerated by its loose schema): Kubescape's status and
      // completion annotations, the cap marker, and where the container sits in its pod spec.
      status: r.status,
      completion: r.completion,
      truncated: r.truncated,
      firstSeen: r.firstSeen,
      containerType: id.containerType,
      ...(id.podUid ? { podUid: id.podUid } : {}),
    },
    {
      source: `${SOURCE_PREFIX}/${nodeName}`,
      subject: `${id.namespace}/${id.pod}/${id.container}`,
      id: sha(`relevancy|${nodeName}|${r.containerId}|${r.status}|${filesHash.digest('hex')}`),
    },
  );
}

export type SendOutcome = 'sent' | 'retry' | 'dropped';

/**
 * Post one event. Transient failures (sink down, 5xx, 429, timeouts) are retried by the caller on
 * its next tick; permanent ones (4xx: the broker rejects the event) would fail again identically,
 * so they are dropped and counted.
 */
export async function send(
  sink: EventSink,
  ev: CatalogEvent,
  signal?: AbortSignal,
): Promise<{ outcome: SendOutcome; error?: unknown }> {
  try {
    await sink.send(ev, {}, signal);
    return { outcome: 'sent' };
  } catch (e) {
    return { outcome: e instanceof PermanentError ? 'dropped' : 'retry', error: e };
  }
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}
