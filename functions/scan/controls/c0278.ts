import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.9 Minimize access to create persistent volumes. */
export default defineControl({
  id: 'C-0278',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-create-pv', {
      verbs: ['create', '*'],
      apiGroups: ['', '*'],
      resources: ['persistentvolumes', '*'],
    }),
  ],
});
