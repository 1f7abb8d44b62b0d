import { defineControl } from '../engine/control.js';
import { get, objectId, str } from '../engine/objects.js';
import { objectRule, review } from './_lib.js';

/**
 * PersistentVolume without encryption: the PV's StorageClass does not set parameters.encrypted
 * "true" and its provisioner is not one that encrypts by default (Azure, GKE PD CSI).
 */
export default defineControl({
  id: 'C-0264',
  category: 'Storage',
  rules: [
    objectRule(
      'pv-without-encryption',
      ['PersistentVolume'],
      (pv, ctx) => {
        const sc = ctx.index.find('StorageClass', undefined, str(get(pv, 'spec', 'storageClassName')) ?? '');
        if (!sc) return [];
        if (get(sc, 'parameters', 'encrypted') === 'true') return [];
        const provisioner = str(get(sc, 'provisioner')) ?? '';
        if (
          /azure/i.test(provisioner) ||
          provisioner === 'pd.csi.storage.gke.io' ||
          provisioner.includes('csi.storage.gke.io')
        )
          return [];
        return [{ ...review('spec.storageClassName'), relatedResourcesIDs: [objectId(sc)] }];
      },
      {
        // Only PVs whose StorageClass is known are part of the population.
        relevant: (r, ctx) =>
          !!ctx.index.find('StorageClass', undefined, str(get(r.object, 'spec', 'storageClassName')) ?? ''),
      },
    ),
  ],
});
