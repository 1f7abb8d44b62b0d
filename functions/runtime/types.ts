/**
 * The contract between the function host and a function. A function is a pure-ish `handle(event,
 * ctx)` plus the list of catalog types it consumes; the host owns HTTP, CloudEvents decoding,
 * validation, tracing, metrics and error mapping.
 */
import type { Logger } from '../../lib/log/index.js';
import type { CatalogEvent, EventData, EventType } from '../../lib/events/index.js';

/** An incoming event whose `data` has already been validated against the catalog schema. */
export interface IncomingEvent<T extends EventType = EventType> {
  id: string;
  source: string;
  type: T;
  subject?: string;
  time?: string;
  data: EventData<T>;
  /** All CloudEvents extension attributes (traceparent, knativearrivaltime, ...). */
  extensions: Record<string, string>;
}

export interface FunctionContext {
  /** Logger bound to this event (event id, type, trace id). */
  log: Logger;
  /** Aborted when the request's deadline passes or the host is shutting down. */
  signal: AbortSignal;
  /** CloudEvents `source` this function uses for the events it produces: `/kscape/<name>`. */
  source: string;
  /** W3C trace context of the span handling this event, to put on produced events. */
  traceparent?: string;
  tracestate?: string;
  /**
   * Publish an extra event to the broker (K_SINK) besides the single reply, for fan-out such as one
   * vulnscan request per image. Fails with TransientError when the sink is unreachable, so the
   * triggering event is retried (consumers are idempotent).
   */
  emit(event: CatalogEvent): Promise<void>;
}

export interface FunctionDefinition {
  /** Short name: scan, vuln, schedule, export, control. */
  name: string;
  /** Catalog types this function accepts; any other type is answered with 400. */
  consumes: readonly EventType[];
  /** Handle one event; return a reply event (published back to the broker) or nothing. */
  handle(event: IncomingEvent, ctx: FunctionContext): Promise<CatalogEvent | undefined>;
  /**
   * Readiness beyond "the server listens" (e.g. database reachable): throw when not ready. Details
   * it returns (e.g. the vulnerability DB's version and age) are the readiness answer's JSON body.
   */
  ready?(): Promise<void | Record<string, unknown>>;
  /** Release resources on shutdown, after in-flight requests drained. */
  close?(): Promise<void>;
}
