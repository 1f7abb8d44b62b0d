import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** CIS 5.1.10 Minimize access to the proxy sub-resource of nodes. */
export default defineControl({
  id: 'C-0279',
  category: 'Access control',
  rules: [
    rbacRule('rule-can-access-proxy-subresource', {
      verbs: ['get', 'create', 'connect', '*'],
      apiGroups: ['', '*'],
      resources: ['nodes/proxy', 'nodes/*', '*'],
    }),
  ],
});
