import { defineControl } from '../engine/control.js';
import { objectId } from '../engine/objects.js';
import { automountFinding, serviceAccountNameOf, withRelated, workloadRule } from './_lib.js';

/** ServiceAccount token mounted: the workload's SA has RBAC bindings and its token is auto-mounted. */
export default defineControl({
  id: 'C-0261',
  category: 'Access control',
  rules: [
    workloadRule('serviceaccount-token-mount', (wl, ctx) => {
      const pairs = ctx.index.bindingsOfServiceAccount(
        wl.object.metadata.namespace ?? 'default',
        serviceAccountNameOf(wl),
      );
      if (pairs.length === 0) return [];
      const f = automountFinding(wl, ctx.index);
      return f
        ? [
            withRelated(
              f,
              pairs.map((p) => objectId(p.binding)),
            ),
          ]
        : [];
    }),
  ],
});
