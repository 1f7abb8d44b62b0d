import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import { arr, get, objectId, rec } from '../engine/objects.js';
import type { Finding, KubeObject } from '../engine/types.js';
import { review, serviceAccountNameOf, SUBJECT, withRelated, workloadRule } from './_lib.js';

/**
 * Access Kubernetes dashboard: subjects (other than the dashboard's own ServiceAccount) bound to the
 * `kubernetes-dashboard` role, and workloads (not the dashboard itself) using its ServiceAccount.
 */
export default defineControl({
  id: 'C-0014',
  category: 'Access control',
  rules: [
    {
      name: 'rule-access-dashboard-subject-v1',
      kinds: SUBJECT,
      evaluate: (r) => {
        const s = r.subject;
        if (!s || (s.kind === 'ServiceAccount' && s.name === 'kubernetes-dashboard')) return [];
        const out: Finding[] = [];
        for (let j = 0; j + 1 < s.relatedObjects.length; j += 2) {
          const binding = s.relatedObjects[j] as KubeObject;
          const role = s.relatedObjects[j + 1] as KubeObject;
          if (role.metadata.name !== 'kubernetes-dashboard') continue;
          const k = arr(binding.subjects).findIndex(
            (x) => rec(x)?.kind === s.kind && rec(x)?.name === s.name,
          );
          const paths = [`relatedObjects[${j}].roleRef.name`];
          if (k >= 0) paths.unshift(`relatedObjects[${j}].subjects[${k}]`);
          out.push(withRelated(review(...paths), [objectId(binding), objectId(role)]));
        }
        return out;
      },
    },
    workloadRule('rule-access-dashboard-wl-v1', (wl) => {
      if (serviceAccountNameOf(wl) !== 'kubernetes-dashboard') return [];
      if (wl.object.metadata.name.startsWith('kubernetes-dashboard')) return [];
      const field =
        get(wl.spec, 'serviceAccountName') !== undefined ? 'serviceAccountName' : 'serviceAccount';
      return [review(at(wl.prefix, field))];
    }),
  ],
});
