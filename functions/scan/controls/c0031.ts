import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** Delete Kubernetes events: subjects that can delete events (hiding activity). */
export default defineControl({
  id: 'C-0031',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-delete-k8s-events-v1', {
      verbs: ['delete', 'deletecollection', '*'],
      apiGroups: ['', '*'],
      resources: ['events', '*'],
    }),
  ],
});
