import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** List Kubernetes secrets: subjects that can get/list/watch secrets. */
export default defineControl({
  id: 'C-0015',
  category: 'Secrets',
  rules: [
    rbacRule('rule-can-list-get-secrets-v1', {
      verbs: ['get', 'list', 'watch', '*'],
      apiGroups: ['', '*'],
      resources: ['secrets', '*'],
    }),
  ],
});
