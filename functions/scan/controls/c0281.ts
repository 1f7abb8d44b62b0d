import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.12 Minimize access to webhook configuration objects. */
export default defineControl({
  id: 'C-0281',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-modify-admission-webhooks', {
      verbs: ['create', 'update', 'delete', '*'],
      apiGroups: ['admissionregistration.k8s.io', '*'],
      resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', '*'],
    }),
  ],
});
