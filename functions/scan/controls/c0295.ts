import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, POD_CONTAINERS } from '../engine/workload.js';
import { review, WL, workloadRule } from './_lib.js';

/** Duplicate environment variable: a later env entry repeating an earlier name in the same container. */
export default defineControl({
  id: 'C-0295',
  category: 'Workload',
  rules: [
    workloadRule(
      'duplicate-env-var',
      (wl) => {
        const out: Finding[] = [];
        for (const c of containersOf(wl, POD_CONTAINERS)) {
          const env = Array.isArray(c.container.env) ? c.container.env : [];
          // A Set only when there is something to repeat (most containers have one or no variable).
          const seen = env.length > 1 ? new Set<string>() : undefined;
          if (!seen) continue;
          for (let j = 0; j < env.length; j++) {
            const e = env[j];
            if (typeof e?.name !== 'string') continue;
            if (seen.has(e.name)) out.push(review(`${c.path}.env[${j}].name`));
            seen.add(e.name);
          }
        }
        return out;
      },
      { kinds: [...WL, 'ReplicationController'] },
    ),
  ],
});
