import { defineControl } from '../engine/control.js';
import { arr, get, rec, selectorMatches } from '../engine/objects.js';
import { objectRule, review } from './_lib.js';
import { podLabelsIn } from './_dangling.js';

/** Dangling NetworkPolicy: a non-empty podSelector selecting no pod template in its namespace. */
export default defineControl({
  id: 'C-0299',
  category: 'Network',
  rules: [
    objectRule('dangling-networkpolicy', ['NetworkPolicy'], (np, ctx) => {
      const sel = rec(get(np, 'spec', 'podSelector'));
      if (
        !sel ||
        (Object.keys(rec(sel.matchLabels) ?? {}).length === 0 && arr(sel.matchExpressions).length === 0)
      )
        return [];
      const ns = np.metadata.namespace ?? 'default';
      return podLabelsIn(ctx.index, ns).some((l) => selectorMatches(sel, l))
        ? []
        : [review('spec.podSelector')];
    }),
  ],
});
