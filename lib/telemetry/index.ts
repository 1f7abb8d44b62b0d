/**
 * OpenTelemetry for every kscape component, driven by the standard OTEL_* environment variables.
 *
 * `startTelemetry` is a no-op unless the environment asks for an exporter, and only then loads the
 * SDK (dynamic import), so a function that scales from zero without a collector starts as fast as
 * one that has no telemetry code at all.
 */
import { logger } from '../log/index.js';
import { setTelemetrySignals, type TelemetrySignals } from './state.js';
import { telemetryRequested, type Env } from './env.js';

export { telemetryRequested } from './env.js';

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
