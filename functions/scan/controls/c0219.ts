import { defineControl } from '../engine/control.js';
import { arr } from '../engine/objects.js';
import { review } from './_lib.js';
import { pspRule, pspSpec } from './_psp.js';

/** PSPs allowing added capabilities (non-empty allowedCapabilities). */
export default defineControl({
  id: 'C-0219',
  category: 'Workload',
  rules: [
    pspRule('psp-deny-allowed-capabilities', (psp) =>
      arr(pspSpec(psp, 'allowedCapabilities')).length > 0 ? review('spec.allowedCapabilities') : undefined,
    ),
  ],
});
