import { at } from '../engine/paths.js';
import type { RuleDefinition } from '../engine/types.js';
import { ownLabelsOf } from '../engine/workload.js';
import { fix, workloadRule } from './_lib.js';

/**
 * Neither the workload nor its pod template carries any of the recommended labels (input `key`).
 * The fix suggests a label on the workload, or on the pod template for a bare Pod's metadata.
 */
export function recommendedLabelsRule(name: string, key: string): RuleDefinition {
  return workloadRule(
    name,
    (wl, ctx) => {
      const wanted = ctx.inputs[key] ?? [];
      const own = ownLabelsOf(wl);
      if (wanted.some((l) => l in own || l in wl.podLabels)) return [];
      return [fix(at(wl.podMetaPrefix, 'labels[YOUR_LABEL]'), 'YOUR_VALUE')];
    },
    { inputs: [key] },
  );
}
