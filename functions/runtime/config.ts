/**
 * Function host configuration, from the environment (Knative sets PORT and, through a SinkBinding
 * or a Source, K_SINK and K_CE_OVERRIDES).
 */
import { bytes, duration, int, loadConfig, oneOf, optionalStr, optionalUrl, str, type ConfigOf, type Env, type VarSpec } from '../../lib/config/env.js';

/** K_CE_OVERRIDES is JSON `{"extensions": {"name": "value"}}` (Knative SinkBinding / sources). */
function ceOverrides(): VarSpec<Readonly<Record<string, string>> | undefined> {
  return {
    doc: 'CloudEvents extension overrides injected by Knative (SinkBinding, ContainerSource), applied to emitted events.',
    allowed: 'JSON {"extensions": {"name": "string value"}} with lowercase alphanumeric names',
    default: undefined,
    parse: (raw) => {
      try {
        const v: unknown = JSON.parse(raw);
        const ext = (v as { extensions?: unknown } | null)?.extensions;
        if (ext === undefined) return {};
        if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) return { failure: true, reason: 'extensions must be an object' };
        const out: Record<string, string> = {};
        for (const [k, val] of Object.entries(ext)) {
          if (!/^[a-z0-9]{1,20}$/.test(k)) return { failure: true, reason: `bad extension name ${JSON.stringify(k)}` };
          if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean')
            return { failure: true, reason: `extension ${k} must be a string, number or boolean` };
          out[k] = String(val);
        }
        return out;
      } catch {
        return { failure: true, reason: 'not valid JSON' };
      }
    },
  };
}

export const RUNTIME_CONFIG = {
  PORT: int({ doc: 'TCP port to listen on (Knative sets it).', default: 8080, min: 0, max: 65535 }),
  HOST: str({ doc: 'Interface to bind; empty means all interfaces (IPv6 and IPv4 where available).', default: '' }),
  KSCAPE_MAX_BODY_BYTES: bytes({ doc: 'Largest request body accepted; larger requests get 413.', default: 1024 * 1024 }),
  KSCAPE_MAX_BATCH_EVENTS: int({ doc: 'Most events accepted in one application/cloudevents-batch+json request.', default: 100, min: 1, max: 10_000 }),
  KSCAPE_HANDLER_TIMEOUT: duration({ doc: 'Deadline for one event handler; past it the host answers 503 (retried) and aborts ctx.signal.', default: 5 * 60_000, minMs: 1 }),
  KSCAPE_SHUTDOWN_TIMEOUT: duration({ doc: 'How long shutdown waits for in-flight requests before aborting them.', default: 30_000, minMs: 0 }),
  KSCAPE_EMIT_TIMEOUT: duration({ doc: 'Timeout for publishing one event to K_SINK.', default: 10_000, minMs: 1 }),
  K_SINK: optionalUrl({ doc: 'Where ctx.emit() publishes events (the broker ingress); unset disables fan-out.' }),
  K_CE_OVERRIDES: ceOverrides(),
  K_SERVICE: optionalStr({ doc: 'Knative service name, added to log lines.' }),
  K_REVISION: optionalStr({ doc: 'Knative revision name, added to log lines.' }),
  KSCAPE_FUNCTION_BUNDLE: oneOf(['auto', 'off'], {
    doc: '`kscape function <name>` runs the function from its prebuilt single-file bundle (fast cold start) when `npm run build` made a current one; off always uses the compiled modules (readable stack traces).',
    default: 'auto',
  }),
} as const;

export type RuntimeConfig = ConfigOf<typeof RUNTIME_CONFIG>;

export function loadRuntimeConfig(env: Env = process.env): RuntimeConfig {
  return loadConfig(RUNTIME_CONFIG, env);
}
