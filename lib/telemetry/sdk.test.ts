/**
 * The real SDK path: startTelemetry with an OTLP endpoint exports spans over HTTP to a collector
 * (a local HTTP server standing in for one) and shutdown flushes them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { setRootLogger } from '../log/index.js';
import { beginEventTrace, startTelemetry, telemetrySignals } from './index.js';

describe('startTelemetry', () => {
  it('does nothing without OTEL configuration', async () => {
    setRootLogger(pino({ level: 'silent' }));
    const t = await startTelemetry('kscape-test', {});
    expect(t.signals).toEqual({ traces: false, metrics: false });
    expect(telemetrySignals()).toEqual({ traces: false, metrics: false });
    await t.shutdown();
  });

  it('exports event spans over OTLP/HTTP when an endpoint is configured', async () => {
    setRootLogger(pino({ level: 'silent' }));
    const received: { path: string; bytes: number }[] = [];
    const collector = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        received.push({ path: req.url ?? '', bytes });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const { port } = collector.address() as AddressInfo;
    try {
      const t = await startTelemetry('kscape-test', {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_METRICS_EXPORTER: 'none',
      });
      expect(t.signals).toEqual({ traces: true, metrics: false });
      const span = beginEventTrace({ id: 'e1', type: 'io.kubescape.test', source: '/s' });
      expect(span.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      span.end('ok');
      await t.shutdown();
      expect(telemetrySignals().traces).toBe(false);
      expect(received.some((r) => r.path === '/v1/traces' && r.bytes > 0)).toBe(true);
    } finally {
      collector.close();
    }
  });
});
