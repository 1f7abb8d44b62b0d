import { duration, list, loadConfig, oneOf, optionalStr, type ConfigOf, type Env } from '../../lib/config/env.js';

export const EXPORT_KINDS = ['configscan', 'vulnscan', 'inventory'] as const;

export const exportConfigSpec = {
  KSCAPE_PROVIDER_URL: list({ doc: 'Provider endpoint(s) results are delivered to, comma-separated; empty disables export.', default: [] }),
  KSCAPE_PROVIDER_SECRET: optionalStr({ doc: 'Standard Webhooks secret(s) `whsec_<base64>`; the first signs (all sign during rotation). Required when KSCAPE_PROVIDER_URL is set.', secret: true }),
  KSCAPE_PROVIDER_FORMAT: oneOf(['cloudevents', 'kubescape'] as const, { doc: 'Payload format: the event as structured CloudEvents JSON, or Kubescape reports (not implemented yet).', default: 'cloudevents' }),
  KSCAPE_EXPORT_KINDS: list({ doc: `What to export: ${EXPORT_KINDS.join(', ')}.`, default: [...EXPORT_KINDS] }),
  KSCAPE_EXPORT_BUDGET: duration({ doc: 'Time the handler spends retrying one delivery before handing the event back to the broker (503).', default: 30_000, minMs: 100 }),
  KSCAPE_EXPORT_REQUEST_TIMEOUT: duration({ doc: 'Timeout of one HTTP delivery attempt.', default: 10_000, minMs: 10 }),
};

export type ExportConfig = ConfigOf<typeof exportConfigSpec>;

export function loadExportConfig(env: Env = process.env): ExportConfig {
  return loadConfig(exportConfigSpec, env);
}
