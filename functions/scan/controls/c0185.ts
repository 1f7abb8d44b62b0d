import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.1: subjects bound (ClusterRoleBinding) to the ClusterRole cluster-admin. */
export default defineControl({
  id: 'C-0185',
  category: 'Access control',
  rules: [
    rbacRule('cluster-admin-role', {
      verbs: ['*'],
      apiGroups: ['*', ''],
      resources: ['*'],
      pair: (binding, role) =>
        binding.kind === 'ClusterRoleBinding' &&
        role.kind === 'ClusterRole' &&
        role.metadata.name === 'cluster-admin',
    }),
  ],
});
