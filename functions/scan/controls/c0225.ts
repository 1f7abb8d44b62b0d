import { defineControl } from '../engine/control.js';
import { get } from '../engine/objects.js';
import { fix, objectRule, review } from './_lib.js';
import { defaultSaBindingsRule } from './_default-sa.js';
import { onProvider } from './_provider.js';

/** CIS EKS 4.1.5 dedicated service accounts: nothing is bound to `default` SAs, and they do not automount tokens. */
export default defineControl({
  id: 'C-0225',
  category: 'Access control',
  rules: [
    onProvider('eks', defaultSaBindingsRule),
    onProvider(
      'eks',
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
    ),
  ],
});
