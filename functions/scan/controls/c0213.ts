import { defineControl } from '../engine/control.js';
import { review } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs allowing privileged containers. */
export default defineControl({
  id: 'C-0213',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-privileged-container', (psp) =>
      pspSpec(psp, 'privileged') === true ? review('spec.privileged') : undefined,
    ),
  ],
});
