import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, POD_CONTAINERS } from '../engine/workload.js';
import { fix, workloadRule } from './_lib.js';

/**
 * Linux hardening: the current regolibrary rule only checks that a seccompProfile is defined, at pod
 * or container level, for every container and initContainer.
 */
export default defineControl({
  id: 'C-0055',
  category: 'Workload',
  rules: [
    workloadRule('linux-hardening', (wl) => {
      if (wl.spec.securityContext?.seccompProfile !== undefined) return [];
      const out: Finding[] = [];
      for (const c of containersOf(wl, POD_CONTAINERS)) {
        if (c.container.securityContext?.seccompProfile !== undefined) continue;
        out.push(fix(at(c.path, '.securityContext.seccompProfile.type'), 'RuntimeDefault'));
      }
      return out;
    }),
  ],
});
