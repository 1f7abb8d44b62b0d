import { defineControl } from '../engine/control.js';
import { arr, get, rec, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { fix, objectRule, review } from './_lib.js';
import { SANDBOX_KINDS } from './_sandbox.js';

const UNSCOPED = new Set(['0.0.0.0/0', '::/0']);

/** An egress peer that does not narrow the destination (empty, or an ipBlock of everything). */
function unscoped(peer: unknown): boolean {
  const p = rec(peer);
  if (!p || Object.keys(p).length === 0) return true;
  const cidr = str(get(p, 'ipBlock', 'cidr'));
  return cidr !== undefined && UNSCOPED.has(cidr) && arr(get(p, 'ipBlock', 'except')).length === 0;
}

/**
 * Agent Sandbox egress policy enforcement: the controller manages the sandbox NetworkPolicy
 * (`spec.networkPolicyManagement: Managed`) with a custom `spec.networkPolicy` whose every egress
 * rule names scoped destinations (no empty `to`, no 0.0.0.0/0 or ::/0 without exceptions).
 */
export default defineControl({
  id: 'C-0301',
  category: 'Network',
  rules: [
    objectRule('agent-sandbox-egress-policy', SANDBOX_KINDS, (o): Finding[] => {
      const mgmt = str(get(o, 'spec', 'networkPolicyManagement'));
      if (mgmt !== 'Managed')
        return [
          mgmt === undefined
            ? fix('spec.networkPolicyManagement', 'Managed')
            : review('spec.networkPolicyManagement'),
        ];
      const policy = get(o, 'spec', 'networkPolicy');
      if (policy === undefined) return [fix('spec.networkPolicy', 'YOUR_VALUE')];
      const egress = get(policy, 'egress');
      if (!Array.isArray(egress)) return [review('spec.networkPolicy')];
      const out: Finding[] = [];
      egress.forEach((rule, i) => {
        const to = get(rule, 'to');
        if (!Array.isArray(to) || to.length === 0) {
          out.push(review(`spec.networkPolicy.egress[${i}]`));
          return;
        }
        to.forEach((peer, j) => {
          if (unscoped(peer)) out.push(review(`spec.networkPolicy.egress[${i}].to[${j}]`));
        });
      });
      return out;
    }),
  ],
});
