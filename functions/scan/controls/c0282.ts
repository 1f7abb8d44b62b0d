import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.13 Minimize access to the service account token creation. */
export default defineControl({
  id: 'C-0282',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-create-service-account-token', {
      verbs: ['create', '*'],
      apiGroups: ['', '*'],
      resources: ['serviceaccounts/token', 'serviceaccounts/*', '*'],
    }),
  ],
});
