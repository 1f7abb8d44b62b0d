import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { EVENT_TYPES } from '../../lib/events/index.js';
import { setTelemetrySignals } from '../../lib/telemetry/index.js';
import { serveFunction, type ServedFunction } from '../runtime/serve.js';
import { captureLogs, type LogLine } from '../runtime/__fixtures__/helpers.js';
import { deadletter, decodeErrorData, MAX_ERROR_DATA_CHARS } from './index.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const reader = new TestReader();
let served: ServedFunction;
let logs: LogLine[];

beforeAll(async () => {
  logs = captureLogs();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  setTelemetrySignals({ metrics: true });
  served = await serveFunction(deadletter, { port: 0, host: '127.0.0.1', env: {} });
});
afterAll(async () => {
  await served.close();
});

const problemBody = JSON.stringify({ type: 'urn:kscape:problem:unavailable', title: 'A dependency is temporarily unavailable, retry later', status: 503, detail: 'db down' });

describe('deadletter', () => {
  it('records a dead-lettered event with the knativeerror* extensions and answers 202', async () => {
    const res = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'dl-1',
        'ce-source': '/kscape/schedule',
        'ce-type': EVENT_TYPES.vulnScanRequested,
        'ce-knativeerrordest': 'http://kscape-vuln.kscape.svc.cluster.local',
        'ce-knativeerrorcode': '503',
        'ce-knativeerrordata': Buffer.from(problemBody).toString('base64'),
      },
      body: JSON.stringify({ image: 'nginx' }),
    });
    expect(res.status).toBe(202);
    const line = logs.find((l) => (l.deadLetter as { eventId?: string } | undefined)?.eventId === 'dl-1')!;
    expect(line).toBeDefined();
    expect(line.level).toBe(50); // error
    expect(line.deadLetter).toMatchObject({
      eventType: EVENT_TYPES.vulnScanRequested,
      source: '/kscape/schedule',
      destination: 'http://kscape-vuln.kscape.svc.cluster.local',
      code: '503',
      errorData: problemBody,
      problem: { title: 'A dependency is temporarily unavailable, retry later', detail: 'db down' },
      dataPreview: '{"image":"nginx"}',
    });
  });

  it('accepts types outside the catalog and non-JSON data, without schema validation', async () => {
    const res = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'ce-specversion': '1.0',
        'ce-id': 'dl-2',
        'ce-source': '/elsewhere',
        'ce-type': 'com.example.weird',
        'ce-knativeerrorcode': '400',
      },
      body: Buffer.from([0, 1, 2, 3]),
    });
    expect(res.status).toBe(202);
    const line = logs.find((l) => (l.deadLetter as { eventId?: string } | undefined)?.eventId === 'dl-2')!;
    expect(line.deadLetter).toMatchObject({ eventType: 'com.example.weird', code: '400', dataBytes: 4 });
  });

  it('still rejects requests that are not CloudEvents', async () => {
    const res = await fetch(served.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });

  it('counts kscape_deadletter_events_total{type,code} with bounded labels', async () => {
    const { resourceMetrics } = await reader.collect();
    const m = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === 'kscape_deadletter_events_total')!;
    const points = (m.dataPoints as DataPoint<number>[]).map((p) => ({ ...p.attributes, value: p.value }));
    expect(points).toEqual(
      expect.arrayContaining([
        { type: EVENT_TYPES.vulnScanRequested, code: '503', value: 1 },
        { type: 'other', code: '400', value: 1 },
      ]),
    );
  });

  it('decodes and truncates knativeerrordata', () => {
    expect(decodeErrorData(Buffer.from('plain body').toString('base64'))).toBe('plain body');
    expect(decodeErrorData('not base64!')).toBe('not base64!');
    expect(decodeErrorData(undefined)).toBeUndefined();
    const long = decodeErrorData(Buffer.from('x'.repeat(10_000)).toString('base64'))!;
    expect(long.startsWith('x'.repeat(MAX_ERROR_DATA_CHARS))).toBe(true);
    expect(long).toMatch(/more characters\)$/);
  });
});
