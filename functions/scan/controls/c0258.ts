import { defineControl } from '../engine/control.js';
import { mountedObjectRule } from './_mounts.js';

/** Workload with ConfigMap access: mounts a ConfigMap volume that exists. */
export default defineControl({
  id: 'C-0258',
  category: 'Storage',
  rules: [mountedObjectRule('workload-mounted-configmap', 'ConfigMap', (v) => v.configMap?.name)],
});
