import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** Administrative Roles: subjects bound to verbs * on resources *. */
export default defineControl({
  id: 'C-0035',
  category: 'Access control',
  rules: [
    rbacRule('rule-list-all-cluster-admins-v1', { verbs: ['*'], apiGroups: ['*', ''], resources: ['*'] }),
  ],
});
