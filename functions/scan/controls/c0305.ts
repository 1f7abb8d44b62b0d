import { defineControl } from '../engine/control.js';
import { get } from '../engine/objects.js';
import { objectRule, review } from './_lib.js';

/** No rolling update strategy: a Deployment whose spec.strategy.type is set to something else. */
export default defineControl({
  id: 'C-0305',
  category: 'Workload',
  rules: [
    objectRule('no-rolling-update-strategy', ['Deployment'], (d) => {
      const t = get(d, 'spec', 'strategy', 'type');
      return t !== undefined && t !== 'RollingUpdate' ? [review('spec.strategy.type')] : [];
    }),
  ],
});
