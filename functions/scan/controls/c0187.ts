import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.3 Minimize wildcard use in Roles and ClusterRoles (rule of C-0035). */
export default defineControl({
  id: 'C-0187',
  category: 'Access control',
  rules: [
    rbacRule('rule-list-all-cluster-admins-v1', { verbs: ['*'], apiGroups: ['*', ''], resources: ['*'] }),
  ],
});
