import { defineControl } from '../engine/control.js';
import { roleAllows } from './_lib.js';
import { workloadSaRoleRule } from './_sa-roles.js';

/** Workload with administrative roles: its mounted SA is bound to verbs * on resources *. */
export default defineControl({
  id: 'C-0272',
  category: 'Access control',
  rules: [
    workloadSaRoleRule('workload-with-administrative-roles', (role) =>
      roleAllows(role, ['*'], ['*'], ['', '*']),
    ),
  ],
});
