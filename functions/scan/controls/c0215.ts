import { defineControl } from '../engine/control.js';
import { review } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs allowing hostIPC. */
export default defineControl({
  id: 'C-0215',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-hostipc', (psp) =>
      pspSpec(psp, 'hostIPC') === true ? review('spec.hostIPC') : undefined,
    ),
  ],
});
