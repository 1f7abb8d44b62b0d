import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { fix, review, workloadRule } from './_lib.js';

/**
 * seccomp profile RuntimeDefault: the container's seccompProfile.type, else the pod's, must be
 * RuntimeDefault. A wrong explicit value is a failed path; nothing set is a fixPath on the container.
 */
export default defineControl({
  id: 'C-0210',
  category: 'Workload',
  rules: [
    workloadRule('set-seccomp-profile-RuntimeDefault', (wl) => {
      const out: Finding[] = [];
      const podType = wl.spec.securityContext?.seccompProfile?.type;
      for (const c of containersOf(wl, MAIN_CONTAINERS)) {
        const t = c.container.securityContext?.seccompProfile?.type;
        if (t !== undefined) {
          if (t !== 'RuntimeDefault') out.push(review(at(c.path, '.securityContext.seccompProfile.type')));
        } else if (podType !== undefined) {
          if (podType !== 'RuntimeDefault')
            out.push(review(at(wl.prefix, 'securityContext.seccompProfile.type')));
        } else {
          out.push(fix(at(c.path, '.securityContext.seccompProfile.type'), 'RuntimeDefault'));
        }
      }
      return out;
    }),
  ],
});
