import { defineControl } from '../engine/control.js';
import { psaRules } from './_psa.js';

/** PSA-based CIS 5.2.x control: namespaces must enforce at least the baseline Pod Security Standard. */
export default defineControl({
  id: 'C-0204',
  category: 'Workload',
  rules: psaRules('pod-security-admission-baseline-applied', 'baseline'),
});
