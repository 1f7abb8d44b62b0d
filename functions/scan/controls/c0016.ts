import { defineControl } from '../engine/control.js';
import { allowPrivilegeEscalationRule } from './_securitycontext.js';

/** Allow privilege escalation: allowPrivilegeEscalation must be explicitly false. */
export default defineControl({ id: 'C-0016', category: 'Workload', rules: [allowPrivilegeEscalationRule] });
