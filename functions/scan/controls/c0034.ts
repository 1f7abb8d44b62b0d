import { defineControl } from '../engine/control.js';
import { automountServiceAccountRule, automountWorkloadRule } from './_automount.js';

/**
 * Automatic mapping of service account: token automount not disabled on the pod (nor on its
 * ServiceAccount), and ServiceAccounts that do not disable it. Both halves are the one Rego rule
 * `automount-service-account`, so they share a rule name.
 */
export default defineControl({
  id: 'C-0034',
  category: 'Access control',
  rules: [automountWorkloadRule, automountServiceAccountRule],
});
