import { defineControl } from '../engine/control.js';
import { arr, rec } from '../engine/objects.js';
import { objectRule, remove } from './_lib.js';

const ANONYMOUS = new Set(['system:anonymous', 'system:unauthenticated']);

/** Anonymous user has RoleBinding: bindings with subject system:anonymous / system:unauthenticated. */
export default defineControl({
  id: 'C-0262',
  category: 'Access control',
  rules: [
    objectRule('anonymous-access-enabled', ['RoleBinding', 'ClusterRoleBinding'], (b) => {
      const paths = arr(b.subjects).flatMap((s, k) => {
        const name = rec(s)?.name;
        return typeof name === 'string' && ANONYMOUS.has(name) ? [`subjects[${k}]`] : [];
      });
      return paths.length > 0 ? [remove(...paths)] : [];
    }),
  ],
});
