/**
 * Per-event tracing and metrics for the function host.
 *
 * Each handled CloudEvent becomes a CONSUMER span `<type> process` whose parent is the event's
 * `traceparent` extension, so a trace follows an event through the broker and every function it
 * reaches. The span's own context is what the host writes into reply and emitted events.
 *
 * When telemetry is off (the default) none of the OpenTelemetry machinery runs: the incoming trace
 * context is passed through unchanged so logs still correlate across hops.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  createTraceState,
  metrics,
  trace,
  type Context,
  type Counter,
  type Histogram,
  type Span,
} from '@opentelemetry/api';
import { telemetryGeneration, telemetrySignals } from './state.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

export type EventOutcome =
  | 'ok'
  | 'invalid'
  | 'permanent_error'
  | 'rate_limited'
  | 'transient_error'
  | 'timeout'
  | 'error';

export interface EventIdentity {
  id: string;
  type: string;
  source: string;
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

export interface EventTrace {
  /** Trace context to put on events produced while handling this event. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  /** For log correlation. */
  readonly traceId: string | undefined;
  /** Run `fn` with this event's span active, so instrumented I/O (pg, http) nests under it. */
  run<T>(fn: () => T): T;
  /** End the span and record metrics. Idempotent. */
  end(outcome: EventOutcome, error?: unknown): void;
}

const TRACER_NAME = 'kscape.function-host';

interface Instruments {
  generation: number;
  handled: Counter;
  duration: Histogram;
  deadletter: Counter;
}
let instruments: Instruments | undefined;

/**
 * Instruments are created lazily and re-created when telemetry is (re)configured, because the
 * metrics API has no proxy provider: instruments created before the SDK registers would stay no-ops.
 */
function getInstruments(): Instruments {
  const gen = telemetryGeneration();
  if (!instruments || instruments.generation !== gen) {
    const meter = metrics.getMeter(TRACER_NAME);
    instruments = {
      generation: gen,
      handled: meter.createCounter('kscape_events_handled_total', {
        description: 'CloudEvents handled by the function host, by type and outcome',
      }),
      duration: meter.createHistogram('kscape_event_handler_duration_seconds', {
        description: 'Time from a decoded event to its answer, by type',
        unit: 's',
      }),
      deadletter: meter.createCounter('kscape_deadletter_events_total', {
        description: 'Events that exhausted delivery retries and reached the dead-letter sink',
      }),
    };
  }
  return instruments;
}

/** Count a dead-lettered event (used by the deadletter function). No-op while metrics are off. */
export function recordDeadLetter(type: string, code: string): void {
  if (!telemetrySignals().metrics) return;
  getInstruments().deadletter.add(1, { type, code });
}

class PassthroughTrace implements EventTrace {
  private readonly start: number;
  private ended = false;
  constructor(
    private readonly ev: EventIdentity,
    private readonly withMetrics: boolean,
  ) {
    this.start = withMetrics ? performance.now() : 0;
  }
  get traceparent(): string | undefined {
    return this.ev.traceparent;
  }
  get tracestate(): string | undefined {
    return this.ev.tracestate;
  }
  private tid: string | null | undefined;
  get traceId(): string | undefined {
    if (this.tid === undefined) this.tid = parseTraceparent(this.ev.traceparent)?.traceId ?? null;
    return this.tid ?? undefined;
  }
  run<T>(fn: () => T): T {
    return fn();
  }
  end(outcome: EventOutcome): void {
    if (this.ended) return;
    this.ended = true;
    if (this.withMetrics) recordOutcome(this.ev.type, outcome, (performance.now() - this.start) / 1000);
  }
}

class SpanTrace implements EventTrace {
  readonly traceparent: string;
  readonly tracestate: string | undefined;
  readonly traceId: string;
  private readonly ctx: Context;
  private readonly start = performance.now();
  private ended = false;
  constructor(
    private readonly span: Span,
    parent: Context,
    private readonly type: string,
    private readonly withMetrics: boolean,
  ) {
    const sc = span.spanContext();
    this.traceparent = formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags);
    const ts = sc.traceState?.serialize();
    this.tracestate = ts ? ts : undefined;
    this.traceId = sc.traceId;
    this.ctx = trace.setSpan(parent, span);
  }
  run<T>(fn: () => T): T {
    return context.with(this.ctx, fn);
  }
  end(outcome: EventOutcome, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute('kscape.outcome', outcome);
    if (outcome !== 'ok') {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      if (error instanceof Error) this.span.recordException(error);
    }
    this.span.end();
    if (this.withMetrics) recordOutcome(this.type, outcome, (performance.now() - this.start) / 1000);
  }
}

function recordOutcome(type: string, outcome: EventOutcome, seconds: number): void {
  const i = getInstruments();
  i.handled.add(1, { type, outcome });
  i.duration.record(seconds, { type });
}

/** Start tracing one event. Cheap when telemetry is off. */
export function beginEventTrace(ev: EventIdentity): EventTrace {
  const signals = telemetrySignals();
  if (!signals.traces) return new PassthroughTrace(ev, signals.metrics);
  const parentTp = parseTraceparent(ev.traceparent);
  let parent = ROOT_CONTEXT;
  if (parentTp) {
    parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: parentTp.traceId,
      spanId: parentTp.spanId,
      traceFlags: parentTp.flags,
      isRemote: true,
      ...(ev.tracestate ? { traceState: createTraceState(ev.tracestate) } : {}),
    });
  }
  const span = trace.getTracer(TRACER_NAME).startSpan(
    `${ev.type} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'cloudevents.event_id': ev.id,
        'cloudevents.event_type': ev.type,
        'cloudevents.event_source': ev.source,
        'messaging.system': 'knative',
        'messaging.operation.type': 'process',
      },
    },
    parent,
  );
  return new SpanTrace(span, parent, ev.type, signals.metrics);
}

/**
 * Record the outcome of an event that never got a span (rejected before decoding finished).
 * `type` is `unknown` when even the type could not be read, keeping label cardinality bounded.
 */
export function recordRejected(type: string | undefined): void {
  if (!telemetrySignals().metrics) return;
  getInstruments().handled.add(1, { type: type ?? 'unknown', outcome: 'invalid' });
}
