import { int, loadConfig, optionalStr, str, type ConfigOf, type Env } from '../../lib/config/env.js';

export const controlConfigSpec = {
  KSCAPE_PROVIDER_SECRET: optionalStr({
    doc: 'Standard Webhooks secret(s) `whsec_<base64>` the provider signs commands with; comma-separated to rotate. Unset: POST /v1/commands answers 401.',
    secret: true,
  }),
  KSCAPE_OPERATOR_API_TOKEN: optionalStr({
    doc: 'Bearer token for the Kubescape-compatible POST /v1/triggerAction; unset disables the endpoint (404).',
    secret: true,
  }),
  KSCAPE_NAMESPACE: str({ doc: 'Namespace of the PingSources and of the kscape-exceptions ConfigMap.', default: 'kubescape' }),
  KSCAPE_CONTROL_MAX_BODY_BYTES: int({ doc: 'Largest command body accepted (413 above).', default: 65_536, min: 1024, max: 10_485_760 }),
};

export type ControlConfig = ConfigOf<typeof controlConfigSpec>;

export function loadControlConfig(env: Env = process.env): ControlConfig {
  return loadConfig(controlConfigSpec, env);
}
