import { defineControl } from '../engine/control.js';
import { arr } from '../engine/objects.js';
import { fix } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs without requiredDropCapabilities (fix: requiredDropCapabilities[0] = ALL). */
export default defineControl({
  id: 'C-0220',
  category: 'Workload',
  rules: [
    pspRule('psp-required-drop-capabilities', (psp) =>
      arr(pspSpec(psp, 'requiredDropCapabilities')).length > 0
        ? undefined
        : fix('spec.requiredDropCapabilities[0]', 'ALL'),
    ),
  ],
});
