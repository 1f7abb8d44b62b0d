/** Test support for the schedule function: PingSource events and a handler context that records what is emitted. */
import { pino } from 'pino';
import { EVENT_TYPES, type CatalogEvent } from '../../lib/events/index.js';
import type { FunctionContext, IncomingEvent } from '../runtime/types.js';

/** A `dev.knative.sources.ping` event of PingSource `kubescape/<pingSource>` carrying `{job}`. */
export function pingEvent(job: string, id = 'ping-1', pingSource = `kscape-${job}`): IncomingEvent {
  return {
    id,
    source: `/apis/v1/namespaces/kubescape/pingsources/${pingSource}`,
    type: EVENT_TYPES.ping,
    data: { job },
    extensions: {},
  } as IncomingEvent;
}

/** A silent handler context whose `emit` appends to `emitted`. */
export function recordingContext(
  emitted: CatalogEvent[],
  extra: Partial<FunctionContext> = {},
): FunctionContext {
  return {
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    source: '/kscape/schedule',
    emit: async (e) => {
      emitted.push(e);
    },
    ...extra,
  };
}
