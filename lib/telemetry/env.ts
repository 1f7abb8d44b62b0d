/**
 * Whether the OTEL_* environment asks for telemetry. No imports: the `kscape function` start-up
 * path reads this before deciding which modules to load.
 */
import type { TelemetrySignals } from './state.js';

export type Env = Readonly<Record<string, string | undefined>>;

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
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true')
    return { traces: false, metrics: false, unsupported };
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
