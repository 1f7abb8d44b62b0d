import { defineControl } from '../engine/control.js';
import { get } from '../engine/objects.js';
import { ALERT, fix, objectRule, review } from './_lib.js';

/**
 * CIS 5.1.5 default service accounts not actively used: the `default` ServiceAccount must disable
 * token automount, and every Namespace should have a ServiceAccount of its own.
 */
export default defineControl({
  id: 'C-0189',
  category: 'Access control',
  rules: [
    objectRule(
      'automount-default-service-account',
      ['ServiceAccount'],
      (sa) => {
        const v = get(sa, 'automountServiceAccountToken');
        if (v === false) return [];
        return v === true
          ? [review('automountServiceAccountToken')]
          : [fix('automountServiceAccountToken', 'false')];
      },
      { relevant: (r) => r.object.metadata.name === 'default' },
    ),
    objectRule('namespace-without-service-account', ['Namespace'], (ns, ctx) =>
      ctx.index.inNamespace('ServiceAccount', ns.metadata.name).some((sa) => sa.metadata.name !== 'default')
        ? []
        : [ALERT],
    ),
  ],
});
