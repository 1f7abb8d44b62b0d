/**
 * OpenTelemetry for every kscape component, driven by the standard OTEL_* environment variables.
 *
 * `startTelemetry` is a no-op unless the environment asks for an exporter, and only then loads the
 * SDK (dynamic import), so a function that scales from zero without a collector starts as fast as
 * one that has no telemetry code at all.
 */
import { logger } from '../log/index.js';
import { setTelemetrySignals, type TelemetrySignals } from './state.js';

export { setTelemetrySignals, telemetrySignals, type TelemetrySignals } from './state.js';
export { formatTraceparent, parseTraceparent, traceIdOf, type ParsedTraceparent } from './traceparent.js';
export {
  beginEventTrace,
  recordDeadLetter,
  recordRejected,
  type EventIdentity,
  type EventOutcome,
  type EventTrace,
} from './tracing.js';

export interface TelemetryHandle {
  readonly signals: Readonly<TelemetrySignals>;
  /** Flush and stop exporters; safe to call more than once. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

function exporters(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Which signals the environment asks for, following the OpenTelemetry SDK environment spec:
 * OTEL_SDK_DISABLED=true wins; OTEL_{TRACES,METRICS}_EXPORTER=otlp turns a signal on and `none`
 * turns it off; otherwise an OTLP endpoint (generic or per signal) turns it on. Exporter names
 * other than otlp and none are reported and ignored.
 */
export function telemetryRequested(env: Env = process.env): TelemetrySignals & { unsupported: string[] } {
  const unsupported: string[] = [];
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { traces: false, metrics: false, unsupported };
  const anyEndpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
  const decide = (exporterVar: string | undefined, endpointVar: string | undefined): boolean => {
    const list = exporters(exporterVar);
    if (list) {
      for (const e of list) if (e !== 'otlp' && e !== 'none') unsupported.push(e);
      return list.includes('otlp');
    }
    return anyEndpoint || Boolean(endpointVar?.trim());
  };
  return {
    traces: decide(env.OTEL_TRACES_EXPORTER, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    metrics: decide(env.OTEL_METRICS_EXPORTER, env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT),
    unsupported,
  };
}

/**
 * Start tracing and metrics export for `serviceName` when the environment asks for it.
 * Call it before importing modules that should be instrumented (pg, http clients).
 */
export async function startTelemetry(serviceName: string, env: Env = process.env): Promise<TelemetryHandle> {
  const log = logger('telemetry');
  const want = telemetryRequested(env);
  if (want.unsupported.length) log.warn({ exporters: want.unsupported }, 'unsupported OTEL exporters ignored; only otlp (http) is built in');
  if (!want.traces && !want.metrics) {
    log.debug('telemetry disabled: no OTEL exporter configured');
    return { signals: { traces: false, metrics: false }, shutdown: async () => {} };
  }
  const { startSdk } = await import('./sdk.js');
  const stop = await startSdk(serviceName, want, log, env);
  const signals = { traces: want.traces, metrics: want.metrics };
  setTelemetrySignals(signals);
  log.info(signals, 'telemetry started (OTLP over HTTP)');
  let stopped: Promise<void> | undefined;
  return {
    signals,
    shutdown: () =>
      (stopped ??= (async () => {
        setTelemetrySignals({ traces: false, metrics: false });
        try {
          await stop();
        } catch (e) {
          log.warn({ err: e }, 'telemetry shutdown failed; some spans or metrics may be lost');
        }
      })()),
  };
}
