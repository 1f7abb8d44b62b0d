import { defineControl } from '../engine/control.js';
import { strings } from '../engine/objects.js';
import { rbacRule } from './_lib.js';

/**
 * CoreDNS poisoning: subjects that can update/patch configmaps, unrestricted or restricted to
 * names including `coredns` (the only RBAC rule of the library that reads resourceNames).
 */
export default defineControl({
  id: 'C-0037',
  category: 'Network',
  rules: [
    rbacRule('rule-can-update-configmap-v1', {
      verbs: ['update', 'patch', '*'],
      apiGroups: ['', '*'],
      resources: ['configmaps', '*'],
      rule: (r) => {
        const names = strings(r.resourceNames);
        return names.length === 0 || names.includes('coredns');
      },
    }),
  ],
});
