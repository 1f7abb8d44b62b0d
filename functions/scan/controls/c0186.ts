import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.2 Minimize access to secrets (rule of C-0015). */
export default defineControl({
  id: 'C-0186',
  category: 'Secrets',
  rules: [
    rbacRule('rule-can-list-get-secrets-v1', {
      verbs: ['get', 'list', 'watch', '*'],
      apiGroups: ['', '*'],
      resources: ['secrets', '*'],
    }),
  ],
});
