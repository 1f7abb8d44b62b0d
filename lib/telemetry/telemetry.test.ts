import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, telemetryRequested, beginEventTrace, telemetrySignals } from './index.js';

describe('traceparent codec', () => {
  it('parses a valid header and round-trips it', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const p = parseTraceparent(tp)!;
    expect(p).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
    expect(formatTraceparent(p.traceId, p.spanId, p.flags)).toBe(tp);
  });

  it.each([
    ['empty', ''],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['not hex', '00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01'],
    ['v00 with trailing data', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['bad separators', '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01'],
  ])('rejects %s', (_n, v) => {
    expect(parseTraceparent(v)).toBeUndefined();
  });

  it('accepts a future version with extra fields', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what')?.spanId).toBe('00f067aa0ba902b7');
  });
});

describe('telemetryRequested (OTEL_* environment)', () => {
  it('is off by default', () => {
    expect(telemetryRequested({})).toMatchObject({ traces: false, metrics: false });
  });
  it('turns on with a generic endpoint', () => {
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ traces: true, metrics: true });
  });
  it('turns on one signal with its own endpoint or exporter', () => {
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces' })).toMatchObject({ traces: true, metrics: false });
    expect(telemetryRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ traces: true, metrics: false });
  });
  it('honours exporter none and reports unsupported exporters', () => {
    const r = telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(r).toEqual({ traces: false, metrics: false, unsupported: ['zipkin'] });
  });
  it('OTEL_SDK_DISABLED=true wins', () => {
    expect(telemetryRequested({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ traces: false, metrics: false });
  });
});

describe('beginEventTrace with telemetry off', () => {
  it('passes the incoming trace context through and records nothing', () => {
    expect(telemetrySignals()).toEqual({ traces: false, metrics: false });
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const t = beginEventTrace({ id: '1', type: 't', source: '/s', traceparent: tp, tracestate: 'a=b' });
    expect(t.traceparent).toBe(tp);
    expect(t.tracestate).toBe('a=b');
    expect(t.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(t.run(() => 42)).toBe(42);
    t.end('ok');
  });
});
