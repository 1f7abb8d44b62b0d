import { at, indexed } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import { strings } from '../engine/objects.js';
import type { ControlInputs } from '../engine/inputs.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { remove, workloadRule } from './_lib.js';

// One set per inputs object (a scan's inputs are fixed), not one per workload.
const sets = new WeakMap<ControlInputs, ReadonlySet<string>>();
function insecureSet(inputs: ControlInputs): ReadonlySet<string> {
  let set = sets.get(inputs);
  if (!set) sets.set(inputs, (set = new Set(inputs.insecureCapabilities ?? [])));
  return set;
}

/** Insecure capabilities: capabilities.add entries listed in the insecureCapabilities input. */
export default defineControl({
  id: 'C-0046',
  category: 'Workload',
  actionRequired: 'configuration',
  rules: [
    workloadRule(
      'insecure-capabilities',
      (wl, ctx) => {
        const insecure = insecureSet(ctx.inputs);
        const out: Finding[] = [];
        for (const c of containersOf(wl, MAIN_CONTAINERS)) {
          const paths = strings(c.container.securityContext?.capabilities?.add).flatMap((cap, k) =>
            insecure.has(cap) ? [indexed(at(c.path, '.securityContext.capabilities.add'), k)] : [],
          );
          if (paths.length > 0) out.push(remove(...paths));
        }
        return out;
      },
      { inputs: ['insecureCapabilities'] },
    ),
  ],
});
