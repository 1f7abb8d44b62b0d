/**
 * The OpenTelemetry Node SDK bootstrap. Only imported (dynamically) when the OTEL_* environment
 * asks for telemetry: the SDK, exporters and instrumentations add tens of milliseconds of module
 * loading that a scale-from-zero function should not pay when nobody collects the data.
 */
import { register } from 'node:module';
import { NodeSDK, metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { Logger } from '../log/index.js';
import type { TelemetrySignals } from './state.js';

const HEALTH_PATHS = ['/health/', '/healthz', '/readyz', '/livez', '/metrics'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The signal's OTLP/HTTP URL from the given environment (the exporters themselves only read
 * process.env, which would make `startTelemetry(name, env)` ignore its argument). Undefined lets the
 * exporter apply its default (http://localhost:4318/v1/<signal>).
 */
function endpoint(env: Env, signal: 'traces' | 'metrics'): string | undefined {
  const specific = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`]?.trim();
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/${signal}` : undefined;
}

export async function startSdk(serviceName: string, signals: TelemetrySignals, log: Logger, env: Env): Promise<() => Promise<void>> {
  const tracesUrl = endpoint(env, 'traces');
  const metricsUrl = endpoint(env, 'metrics');
  // ESM modules (and CJS packages such as pg imported from ESM) are only patchable through the
  // import-in-the-middle loader hook. It must be registered before those modules load, which is why
  // callers start telemetry before importing their function definition.
  try {
    register('import-in-the-middle/hook.mjs', import.meta.url);
  } catch (e) {
    log.warn({ err: e }, 'could not register the ESM instrumentation hook; pg spans may be missing');
  }
  const sdk = new NodeSDK({
    serviceName,
    ...(signals.traces ? { traceExporter: new OTLPTraceExporter(tracesUrl ? { url: tracesUrl } : {}) } : {}),
    ...(signals.metrics
      ? {
          metricReaders: [
            new sdkMetrics.PeriodicExportingMetricReader({
              exporter: new OTLPMetricExporter(metricsUrl ? { url: metricsUrl } : {}),
            }),
          ],
        }
      : {}),
    instrumentations: [
      new HttpInstrumentation({
        // Probes every few seconds would drown the traces that matter.
        ignoreIncomingRequestHook: (req) => HEALTH_PATHS.some((p) => (req.url ?? '').startsWith(p)),
      }),
      new PgInstrumentation(),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}
