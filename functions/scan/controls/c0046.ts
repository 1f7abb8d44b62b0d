import { defineControl } from '../engine/control.js';
import { strings } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { remove, workloadRule } from './_lib.js';

/** Insecure capabilities: capabilities.add entries listed in the insecureCapabilities input. */
export default defineControl({
  id: 'C-0046',
  category: 'Workload',
  actionRequired: 'configuration',
  rules: [
    workloadRule(
      'insecure-capabilities',
      (wl, ctx) => {
        const insecure = new Set(ctx.inputs.insecureCapabilities ?? []);
        const out: Finding[] = [];
        for (const c of containersOf(wl, MAIN_CONTAINERS)) {
          const paths = strings(c.container.securityContext?.capabilities?.add).flatMap((cap, k) =>
            insecure.has(cap) ? [`${c.path}.securityContext.capabilities.add[${k}]`] : [],
          );
          if (paths.length > 0) out.push(remove(...paths));
        }
        return out;
      },
      { inputs: ['insecureCapabilities'] },
    ),
  ],
});
