import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.4 Minimize access to create pods. */
export default defineControl({
  id: 'C-0188',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-create-pod', {
      verbs: ['create', '*'],
      apiGroups: ['', '*'],
      resources: ['pods', '*'],
    }),
  ],
});
