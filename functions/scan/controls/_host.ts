/** Pod-level host namespace rules shared by C-0038 (both) and C-0275/C-0276 (one each). */
import { at } from '../engine/paths.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { remove, workloadRule } from './_lib.js';

export function hostNamespaceRule(
  name: string,
  fields: readonly ('hostPID' | 'hostIPC' | 'hostNetwork')[],
): RuleDefinition {
  return workloadRule(name, (wl) => {
    const out: Finding[] = [];
    for (const f of fields) if (wl.spec[f] === true) out.push(remove(at(wl.prefix, f)));
    return out;
  });
}
