import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** Portforwarding privileges. */
export default defineControl({
  id: 'C-0063',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-portforward-v1', {
      verbs: ['create', '*'],
      apiGroups: ['', '*'],
      resources: ['pods/portforward', 'pods/*', '*'],
    }),
  ],
});
