import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.11 Minimize access to the approval sub-resource of CSRs. */
export default defineControl({
  id: 'C-0280',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-approve-cert-signing-request', {
      verbs: ['update', '*'],
      apiGroups: ['certificates.k8s.io', '*'],
      resources: ['certificatesigningrequests/approval', 'certificatesigningrequests/*', '*'],
    }),
  ],
});
