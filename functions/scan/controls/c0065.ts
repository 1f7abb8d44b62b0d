import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** No impersonation. */
export default defineControl({
  id: 'C-0065',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-impersonate-users-groups-v1', {
      verbs: ['impersonate', '*'],
      apiGroups: ['', '*'],
      resources: ['users', 'serviceaccounts', 'groups', 'uids', '*'],
    }),
  ],
});
