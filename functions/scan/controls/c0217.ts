import { defineControl } from '../engine/control.js';
import { review } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs allowing privilege escalation. */
export default defineControl({
  id: 'C-0217',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-allowprivilegeescalation', (psp) =>
      pspSpec(psp, 'allowPrivilegeEscalation') === true ? review('spec.allowPrivilegeEscalation') : undefined,
    ),
  ],
});
