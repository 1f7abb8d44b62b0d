/** Workloads whose auto-mounted ServiceAccount holds dangerous permissions (C-0267, C-0272). */
import { objectId } from '../engine/objects.js';
import type { KubeObject, RuleDefinition } from '../engine/types.js';
import { automountFinding, serviceAccountNameOf, withRelated, workloadRule } from './_lib.js';

export function workloadSaRoleRule(name: string, dangerous: (role: KubeObject) => boolean): RuleDefinition {
  return workloadRule(name, (wl, ctx) => {
    const token = automountFinding(wl, ctx.index);
    if (!token) return [];
    const pairs = ctx.index
      .bindingsOfServiceAccount(wl.object.metadata.namespace ?? 'default', serviceAccountNameOf(wl))
      .filter((p) => dangerous(p.role));
    if (pairs.length === 0) return [];
    return [
      withRelated(
        token,
        pairs.flatMap((p) => [objectId(p.binding), objectId(p.role)]),
      ),
    ];
  });
}
