import { defineControl } from '../engine/control.js';
import { review } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs allowing hostNetwork. */
export default defineControl({
  id: 'C-0216',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-hostnetwork', (psp) =>
      pspSpec(psp, 'hostNetwork') === true ? review('spec.hostNetwork') : undefined,
    ),
  ],
});
