import { defineControl } from '../engine/control.js';
import { arr, get, rec } from '../engine/objects.js';
import { review } from './_lib.js';
import { pspRule } from './_psp.js';

/** PSPs admitting root containers: runAsUser.rule neither MustRunAsNonRoot nor MustRunAs with min > 0. */
export default defineControl({
  id: 'C-0218',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-root-container', (psp) => {
      const rule = get(psp, 'spec', 'runAsUser', 'rule');
      if (rule === 'MustRunAsNonRoot') return undefined;
      if (rule === 'MustRunAs') {
        const ranges = arr(get(psp, 'spec', 'runAsUser', 'ranges'));
        if (
          ranges.length > 0 &&
          ranges.every((r) => typeof rec(r)?.min === 'number' && (rec(r)?.min as number) > 0)
        )
          return undefined;
      }
      return review('spec.runAsUser.rule');
    }),
  ],
});
