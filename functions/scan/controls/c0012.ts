import { defineControl } from '../engine/control.js';
import { credentialsInConfigMapRule, credentialsInEnvRule } from './_credentials.js';

/** Applications credentials in configuration files: env vars and ConfigMap data that look like secrets. */
export default defineControl({
  id: 'C-0012',
  category: 'Secrets',
  actionRequired: 'configuration',
  rules: [credentialsInEnvRule, credentialsInConfigMapRule],
});
