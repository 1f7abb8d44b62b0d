import { defineControl } from '../engine/control.js';
import { volumesOf } from '../engine/workload.js';
import { ALERT, workloadRule } from './_lib.js';

/** Consider external secret storage: no volume backed by a CSI secretProviderClass. */
export default defineControl({
  id: 'C-0234',
  category: 'Secrets',
  rules: [
    workloadRule('ensure-external-secrets-storage-is-in-use', (wl) =>
      volumesOf(wl).some((v) => typeof v.volume.csi?.volumeAttributes?.secretProviderClass === 'string')
        ? []
        : [ALERT],
    ),
  ],
});
