import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { review, workloadRule } from './_lib.js';

/** Sudo in container entrypoint: a command[] element containing `sudo`. */
export default defineControl({
  id: 'C-0062',
  category: 'Workload',
  rules: [
    workloadRule('sudo-in-container-entrypoint', (wl) => {
      const out: Finding[] = [];
      for (const c of containersOf(wl, MAIN_CONTAINERS)) {
        const cmd = Array.isArray(c.container.command) ? c.container.command : [];
        for (let k = 0; k < cmd.length; k++) {
          const arg: unknown = cmd[k];
          if (typeof arg === 'string' && arg.includes('sudo')) out.push(review(`${c.path}.command[${k}]`));
        }
      }
      return out;
    }),
  ],
});
