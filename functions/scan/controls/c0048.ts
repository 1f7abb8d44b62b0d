import { at, indexed } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, volumesOf, POD_CONTAINERS } from '../engine/workload.js';
import { remove, workloadRule } from './_lib.js';

/**
 * HostPath mount: any volume with hostPath.path. The volume's path is reported, followed by the
 * volumeMounts that mount it (reference §2a: "failed: volume + its volumeMounts").
 */
export default defineControl({
  id: 'C-0048',
  category: 'Storage',
  rules: [
    workloadRule('alert-any-hostpath', (wl) => {
      const out: Finding[] = [];
      const containers = containersOf(wl, POD_CONTAINERS);
      for (const v of volumesOf(wl)) {
        if (typeof v.volume.hostPath?.path !== 'string') continue;
        const paths = [at(v.path, '.hostPath.path')];
        for (const c of containers) {
          const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
          for (let k = 0; k < mounts.length; k++) {
            if (mounts[k]?.name === v.volume.name) paths.push(indexed(at(c.path, '.volumeMounts'), k));
          }
        }
        out.push(remove(...paths));
      }
      return out;
    }),
  ],
});
