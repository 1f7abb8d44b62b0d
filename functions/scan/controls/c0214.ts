import { defineControl } from '../engine/control.js';
import { review } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs allowing hostPID. */
export default defineControl({
  id: 'C-0214',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-hostpid', (psp) =>
      pspSpec(psp, 'hostPID') === true ? review('spec.hostPID') : undefined,
    ),
  ],
});
