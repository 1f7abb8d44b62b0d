import { defineControl } from '../engine/control.js';
import { psaRules } from './_psa.js';

/** CIS 5.2.1: at least one active policy control mechanism (any PSA enforce label, or a policy engine). */
export default defineControl({
  id: 'C-0192',
  category: 'Workload',
  rules: psaRules('pod-security-admission-applied', 'any'),
});
