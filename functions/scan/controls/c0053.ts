import { defineControl } from '../engine/control.js';
import { objectId } from '../engine/objects.js';
import type { Finding, KubeObject } from '../engine/types.js';
import { review, SUBJECT } from './_lib.js';

/** Access container service account: every ServiceAccount subject bound to a role is listed. */
export default defineControl({
  id: 'C-0053',
  category: 'Access control',
  rules: [
    {
      name: 'access-container-service-account-v1',
      kinds: SUBJECT,
      evaluate: (r) => {
        const s = r.subject;
        if (!s || s.kind !== 'ServiceAccount') return [];
        const out: Finding[] = [];
        for (let j = 0; j + 1 < s.relatedObjects.length; j += 2) {
          const binding = s.relatedObjects[j] as KubeObject;
          out.push({
            ...review(`relatedObjects[${j}].roleRef.name`),
            relatedResourcesIDs: [objectId(binding), objectId(s.relatedObjects[j + 1] as KubeObject)],
          });
        }
        return out;
      },
    },
  ],
});
