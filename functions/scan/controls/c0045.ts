import { at, indexed } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, volumesOf, POD_CONTAINERS } from '../engine/workload.js';
import { fix, review, workloadRule } from './_lib.js';

/**
 * Writable hostPath mount: a hostPath volume mounted without readOnly: true. Explicit false is a
 * failed path, unset a fixPath `readOnly: true` on the volumeMount.
 */
export default defineControl({
  id: 'C-0045',
  category: 'Storage',
  rules: [
    workloadRule('alert-rw-hostpath', (wl) => {
      let hostVolumes: Set<string | undefined> | undefined;
      for (const v of volumesOf(wl)) if (v.volume.hostPath) (hostVolumes ??= new Set()).add(v.volume.name);
      if (!hostVolumes) return [];
      const out: Finding[] = [];
      for (const c of containersOf(wl, POD_CONTAINERS)) {
        const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
        for (let k = 0; k < mounts.length; k++) {
          const m = mounts[k];
          if (!m || !hostVolumes.has(m.name)) continue;
          const path = at(indexed(at(c.path, '.volumeMounts'), k), '.readOnly');
          if (m.readOnly === true) continue;
          out.push(m.readOnly === false ? review(path) : fix(path, 'true'));
        }
      }
      return out;
    }),
  ],
});
