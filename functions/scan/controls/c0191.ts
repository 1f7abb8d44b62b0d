import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.8: bind/escalate on roles, and impersonation (rule of C-0065). */
export default defineControl({
  id: 'C-0191',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-bind-escalate', {
      verbs: ['bind', 'escalate', '*'],
      apiGroups: ['rbac.authorization.k8s.io', '*'],
      resources: ['roles', 'clusterroles', '*'],
    }),
    rbacRule('rule-can-impersonate-users-groups-v1', {
      verbs: ['impersonate', '*'],
      apiGroups: ['', '*'],
      resources: ['users', 'serviceaccounts', 'groups', 'uids', '*'],
    }),
  ],
});
