/**
 * Build and parse catalog events. Outgoing events carry the W3C `traceparent`/`tracestate`
 * (CloudEvents distributed-tracing extension) of the event that caused them, so one trace follows
 * a request through every function it reaches.
 */
import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import type { z } from 'zod';
import { CATALOG, type EventData, type EventDataInput, type EventType, isCatalogType } from './catalog.js';

export interface BuildOptions {
  /** CloudEvents `source`, e.g. `/kscape/schedule`. */
  source: string;
  subject?: string;
  id?: string;
  time?: string;
  /** The event this one is a consequence of: its trace context is carried over. */
  causedBy?: { traceparent?: unknown; tracestate?: unknown };
  /** Explicit trace context; wins over `causedBy`. */
  traceparent?: string;
  tracestate?: string;
  extensions?: Record<string, string>;
}

export type CatalogEvent<T extends EventType = EventType> = CloudEvent<EventData<T>> & { type: T };

export function buildEvent<T extends EventType>(type: T, data: EventDataInput<T>, opts: BuildOptions): CatalogEvent<T> {
  const parsed = (CATALOG[type] as z.ZodType).parse(data) as EventData<T>;
  const traceparent = opts.traceparent ?? asString(opts.causedBy?.traceparent);
  const tracestate = opts.tracestate ?? asString(opts.causedBy?.tracestate);
  const ext: Record<string, string> = { ...(opts.extensions ?? {}) };
  if (traceparent) ext.traceparent = traceparent;
  if (tracestate) ext.tracestate = tracestate;
  return new CloudEvent<EventData<T>>({
    specversion: '1.0',
    id: opts.id ?? randomUUID(),
    type,
    source: opts.source,
    time: opts.time ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...ext,
    data: parsed,
  }) as CatalogEvent<T>;
}

export type ParseResult<T extends EventType> =
  | { ok: true; type: T; data: EventData<T> }
  | { ok: false; reason: 'unknown-type' | 'invalid-data'; message: string; issues?: { path: string; message: string }[] };

/** Validate the data of an event of any catalog type; never throws. */
export function parseEventData(type: string, data: unknown): ParseResult<EventType> {
  if (!isCatalogType(type)) return { ok: false, reason: 'unknown-type', message: `unknown event type ${JSON.stringify(type)}` };
  const r = (CATALOG[type] as z.ZodType).safeParse(data);
  if (r.success) return { ok: true, type, data: r.data as EventData<EventType> };
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  return {
    ok: false,
    reason: 'invalid-data',
    message: `invalid data for ${type}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  };
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
