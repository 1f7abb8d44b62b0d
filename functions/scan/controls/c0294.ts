import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import { review, WL, workloadRule } from './_lib.js';

/** Deprecated serviceAccount field: set without serviceAccountName, or with a different value. */
export default defineControl({
  id: 'C-0294',
  category: 'Workload',
  rules: [
    workloadRule(
      'deprecated-service-account-field',
      (wl) => {
        const old = wl.spec.serviceAccount;
        if (typeof old !== 'string' || old === '') return [];
        return wl.spec.serviceAccountName === old ? [] : [review(at(wl.prefix, 'serviceAccount'))];
      },
      { kinds: [...WL, 'ReplicationController'] },
    ),
  ],
});
