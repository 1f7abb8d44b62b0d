import { defineControl } from '../engine/control.js';
import { probeRule } from './_probes.js';

/** Configured readiness probe. */
export default defineControl({
  id: 'C-0018',
  category: 'Workload',
  rules: [probeRule('configured-readiness-probe', 'readinessProbe')],
});
