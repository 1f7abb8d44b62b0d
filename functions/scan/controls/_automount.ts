/** automount-service-account (C-0034, C-0190): workloads and ServiceAccounts that mount the API token. */
import { get } from '../engine/objects.js';
import type { RuleDefinition } from '../engine/types.js';
import { automountFinding, fix, objectRule, review, workloadRule } from './_lib.js';

export const automountWorkloadRule: RuleDefinition = workloadRule('automount-service-account', (wl, ctx) => {
  const f = automountFinding(wl, ctx.index);
  return f ? [f] : [];
});

/** The same rule on ServiceAccount objects: automountServiceAccountToken must be false. */
export const automountServiceAccountRule: RuleDefinition = objectRule(
  'automount-service-account',
  ['ServiceAccount'],
  (sa) => {
    const v = get(sa, 'automountServiceAccountToken');
    if (v === false) return [];
    return v === true
      ? [review('automountServiceAccountToken')]
      : [fix('automountServiceAccountToken', 'false')];
  },
);
