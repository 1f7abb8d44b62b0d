import { defineControl } from '../engine/control.js';
import { roleAllows } from './_lib.js';
import { workloadSaRoleRule } from './_sa-roles.js';

/** Workload with cluster takeover roles: its mounted SA can create/update/patch pods or read secrets. */
export default defineControl({
  id: 'C-0267',
  category: 'Access control',
  rules: [
    workloadSaRoleRule(
      'workload-with-cluster-takeover-roles',
      (role) =>
        roleAllows(role, ['create', 'update', 'patch', '*'], ['pods', '*'], ['', '*']) ||
        roleAllows(role, ['get', 'list', 'watch', '*'], ['secrets', '*'], ['', '*']),
    ),
  ],
});
