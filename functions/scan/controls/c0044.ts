import { at, indexed } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { remove, workloadRule } from './_lib.js';

/** Container hostPort: any container port declaring hostPort (deletePath on the hostPort). */
export default defineControl({
  id: 'C-0044',
  category: 'Network',
  rules: [
    workloadRule('container-hostPort', (wl) => {
      const out: Finding[] = [];
      for (const c of containersOf(wl, MAIN_CONTAINERS)) {
        const ports = Array.isArray(c.container.ports) ? c.container.ports : [];
        const paths = ports.flatMap((p, j) =>
          p?.hostPort !== undefined && p?.hostPort !== null
            ? [at(indexed(at(c.path, '.ports'), j), '.hostPort')]
            : [],
        );
        if (paths.length > 0) out.push(remove(...paths));
      }
      return out;
    }),
  ],
});
