import { defineControl } from '../engine/control.js';
import { get, stringMap } from '../engine/objects.js';
import { objectRule, review } from './_lib.js';
import { anyPodSelected } from './_dangling.js';

/** Service with no workload: a selector-based Service selecting no pod template in its namespace. */
export default defineControl({
  id: 'C-0293',
  category: 'Network',
  rules: [
    objectRule('service-with-no-workload', ['Service'], (svc, ctx) => {
      if (get(svc, 'spec', 'type') === 'ExternalName') return [];
      const selector = stringMap(get(svc, 'spec', 'selector'));
      if (Object.keys(selector).length === 0) return [];
      const ns = svc.metadata.namespace ?? 'default';
      return anyPodSelected(ctx.index, ns, selector)
        ? []
        : [review('spec.selector')];
    }),
  ],
});
