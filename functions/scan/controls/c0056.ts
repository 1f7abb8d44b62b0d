import { defineControl } from '../engine/control.js';
import { probeRule } from './_probes.js';

/** Configured liveness probe. */
export default defineControl({
  id: 'C-0056',
  category: 'Workload',
  rules: [probeRule('configured-liveness-probe', 'livenessProbe')],
});
