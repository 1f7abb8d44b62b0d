import { defineControl } from '../engine/control.js';
import { mountedObjectRule } from './_mounts.js';

/** Workload with secret access: mounts a Secret volume whose Secret exists. */
export default defineControl({
  id: 'C-0255',
  category: 'Secrets',
  rules: [mountedObjectRule('workload-mounted-secrets', 'Secret', (v) => v.secret?.secretName)],
});
