import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import { review, WL, workloadRule } from './_lib.js';

/** Non-existent service account: serviceAccountName (not default/empty) with no such ServiceAccount. */
export default defineControl({
  id: 'C-0307',
  category: 'Access control',
  rules: [
    workloadRule(
      'non-existent-service-account',
      (wl, ctx) => {
        const name = wl.spec.serviceAccountName;
        if (typeof name !== 'string' || name === '' || name === 'default') return [];
        const ns = wl.object.metadata.namespace ?? 'default';
        return ctx.index.find('ServiceAccount', ns, name)
          ? []
          : [review(at(wl.prefix, 'serviceAccountName'))];
      },
      { kinds: [...WL, 'ReplicationController'] },
    ),
  ],
});
