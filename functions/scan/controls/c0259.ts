import { defineControl } from '../engine/control.js';
import { credentialsInEnvRule } from './_credentials.js';

/** Workload with credential access: the env-var half of C-0012. */
export default defineControl({ id: 'C-0259', category: 'Secrets', rules: [credentialsInEnvRule] });
