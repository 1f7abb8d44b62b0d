import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { parseImage, review, workloadRule } from './_lib.js';

/**
 * Image pull policy on latest tag: imagePullPolicy Never/IfNotPresent with a floating tag
 * (`latest`, a configured floatingImageTags entry, or no tag at all).
 */
export default defineControl({
  id: 'C-0075',
  category: 'Workload',
  rules: [
    workloadRule(
      'image-pull-policy-is-not-set-to-always',
      (wl, ctx) => {
        const floating = new Set(['latest', ...(ctx.inputs.floatingImageTags ?? [])]);
        const out: Finding[] = [];
        for (const c of containersOf(wl, MAIN_CONTAINERS)) {
          const policy = c.container.imagePullPolicy;
          if (policy !== 'Never' && policy !== 'IfNotPresent') continue;
          if (typeof c.container.image !== 'string') continue;
          const img = parseImage(c.container.image);
          if (img.digest) continue;
          if (img.tag === undefined || floating.has(img.tag)) {
            out.push(review(at(c.path, '.image'), at(c.path, '.imagePullPolicy')));
          }
        }
        return out;
      },
      { inputs: ['floatingImageTags'] },
    ),
  ],
});
