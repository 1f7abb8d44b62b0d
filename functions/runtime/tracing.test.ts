/**
 * One event through two functions is one trace: function A's span continues the producer's
 * traceparent, A's reply carries A's span context, and B's span is A's child.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics, SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { buildEvent, EVENT_TYPES } from '../../lib/events/index.js';
import { setTelemetrySignals } from '../../lib/telemetry/index.js';
import { serveFunction, type ServedFunction } from './serve.js';
import type { FunctionDefinition } from './types.js';
import { binaryHeaders, captureLogs, TRACE_ID, TRACEPARENT } from './__fixtures__/helpers.js';
import { TransientError } from './errors.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const reader = new TestReader();
let a: ServedFunction;
let b: ServedFunction;
let failB = false;

const scan: FunctionDefinition = {
  name: 'scan',
  consumes: [EVENT_TYPES.configScanRequested],
  handle: async (e, ctx) =>
    buildEvent(
      EVENT_TYPES.configScanCompleted,
      { scanId: 's', frameworks: [], counts: { resources: 0, passed: 0, failed: 0, skipped: 0, excluded: 0 } },
      { source: ctx.source, causedBy: e.extensions },
    ),
};
const exportFn: FunctionDefinition = {
  name: 'export',
  consumes: [EVENT_TYPES.configScanCompleted],
  handle: async () => {
    if (failB) throw new TransientError('provider down');
    return undefined;
  },
};

beforeAll(async () => {
  captureLogs('warn');
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  setTelemetrySignals({ traces: true, metrics: true });
  a = await serveFunction(scan, { port: 0, host: '127.0.0.1', env: {} });
  b = await serveFunction(exportFn, { port: 0, host: '127.0.0.1', env: {} });
});
afterAll(async () => {
  await a.close();
  await b.close();
  setTelemetrySignals({ traces: false, metrics: false });
});

/** Post to A, then deliver A's reply to B exactly as a broker would (binary mode, same headers). */
async function throughBoth(headers: Record<string, string>): Promise<number> {
  const r1 = await fetch(a.url, { method: 'POST', headers, body: '{}' });
  expect(r1.status).toBe(200);
  const fwd: Record<string, string> = {};
  r1.headers.forEach((v, k) => {
    if (k.startsWith('ce-') || k === 'content-type') fwd[k] = v;
  });
  const r2 = await fetch(b.url, { method: 'POST', headers: fwd, body: await r1.text() });
  return r2.status;
}

describe('trace continuation across functions', () => {
  it('continues an incoming trace: producer → A → B is one trace with parent/child spans', async () => {
    exporter.reset();
    expect(await throughBoth(binaryHeaders(EVENT_TYPES.configScanRequested, { 'ce-traceparent': TRACEPARENT, 'ce-tracestate': 'vendor=x' }))).toBe(202);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    const sa = spans.find((s) => s.name === `${EVENT_TYPES.configScanRequested} process`)!;
    const sb = spans.find((s) => s.name === `${EVENT_TYPES.configScanCompleted} process`)!;
    expect(sa.spanContext().traceId).toBe(TRACE_ID);
    expect(sb.spanContext().traceId).toBe(TRACE_ID);
    expect(sa.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(sb.parentSpanContext?.spanId).toBe(sa.spanContext().spanId);
    expect(sa.spanContext().traceState?.get('vendor')).toBe('x');
    expect(sa.kind).toBe(SpanKind.CONSUMER);
    expect(sa.attributes).toMatchObject({
      'cloudevents.event_id': 'evt-1',
      'cloudevents.event_type': EVENT_TYPES.configScanRequested,
      'cloudevents.event_source': '/test/producer',
    });
  });

  it('starts a trace when the first event has none, and B still joins it', async () => {
    exporter.reset();
    expect(await throughBoth(binaryHeaders(EVENT_TYPES.configScanRequested))).toBe(202);
    const [sa, sb] = exporter.getFinishedSpans();
    expect(sa!.parentSpanContext).toBeUndefined();
    expect(sb!.spanContext().traceId).toBe(sa!.spanContext().traceId);
    expect(sb!.parentSpanContext?.spanId).toBe(sa!.spanContext().spanId);
  });

  it('marks failed handling on the span and counts outcomes and durations', async () => {
    exporter.reset();
    failB = true;
    try {
      expect(await throughBoth(binaryHeaders(EVENT_TYPES.configScanRequested))).toBe(503);
    } finally {
      failB = false;
    }
    const sb = exporter.getFinishedSpans().find((s) => s.name.startsWith(EVENT_TYPES.configScanCompleted))!;
    expect(sb.status.code).toBe(2); // ERROR
    expect(sb.attributes['kscape.outcome']).toBe('transient_error');

    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const handled = all.find((m) => m.descriptor.name === 'kscape_events_handled_total')!;
    const points = handled.dataPoints as DataPoint<number>[];
    const count = (type: string, outcome: string) => points.find((p) => p.attributes.type === type && p.attributes.outcome === outcome)?.value ?? 0;
    expect(count(EVENT_TYPES.configScanRequested, 'ok')).toBe(3);
    expect(count(EVENT_TYPES.configScanCompleted, 'ok')).toBe(2);
    expect(count(EVENT_TYPES.configScanCompleted, 'transient_error')).toBe(1);
    const duration = all.find((m) => m.descriptor.name === 'kscape_event_handler_duration_seconds')!;
    expect(duration.descriptor.unit).toBe('s');
    const h = (duration.dataPoints as DataPoint<Histogram>[]).find((p) => p.attributes.type === EVENT_TYPES.configScanRequested)!;
    expect(h.value.count).toBe(3);
  });
});
