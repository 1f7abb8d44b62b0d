/**
 * Manual controls (regolibrary `rule-manual`, actionRequired "manual review"): nothing to evaluate.
 * Kubescape pre-marks them skipped/`manual review` in the summary; they have no resources, and the
 * report leaves them out of the compliance means (they say nothing about the cluster either way).
 */
import { defineControl, type Category } from '../engine/control.js';
import type { ControlDefinition } from '../engine/types.js';

export function manualControl(id: string, category: Category): ControlDefinition {
  return defineControl({
    id,
    category,
    actionRequired: 'manual review',
    rules: [{ name: 'rule-manual', kinds: [], evaluate: () => [] }],
  });
}
