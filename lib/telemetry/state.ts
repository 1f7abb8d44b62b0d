/**
 * Process-wide telemetry switches. The function host reads these on every request, so they are
 * plain booleans: when telemetry is off the hot path costs two property reads and nothing else
 * (no spans, no metric instruments, no context propagation machinery).
 */
export interface TelemetrySignals {
  traces: boolean;
  metrics: boolean;
}

const state: TelemetrySignals = { traces: false, metrics: false };
let generation = 0;

export function telemetrySignals(): Readonly<TelemetrySignals> {
  return state;
}

/**
 * Turn signals on or off. `startTelemetry` calls this once the SDK is registered; tests and
 * embedders that register their own tracer/meter providers call it directly.
 */
export function setTelemetrySignals(signals: Partial<TelemetrySignals>): void {
  if (signals.traces !== undefined) state.traces = signals.traces;
  if (signals.metrics !== undefined) state.metrics = signals.metrics;
  generation++;
}

/** Bumped on every change, so cached instruments are re-created against the new providers. */
export function telemetryGeneration(): number {
  return generation;
}
