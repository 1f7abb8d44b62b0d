import { at } from '../engine/paths.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { fix, workloadRule } from './_lib.js';

/** Containers without the probe get a fixPath `containers[i].<probe>: YOUR_VALUE`. */
export function probeRule(name: string, probe: 'readinessProbe' | 'livenessProbe'): RuleDefinition {
  const suffix = `.${probe}`;
  return workloadRule(name, (wl) => {
    const out: Finding[] = [];
    for (const c of containersOf(wl, MAIN_CONTAINERS)) {
      if (c.container[probe] === undefined || c.container[probe] === null)
        out.push(fix(at(c.path, suffix), 'YOUR_VALUE'));
    }
    return out;
  });
}
