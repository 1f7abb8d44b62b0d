import { defineControl } from '../engine/control.js';
import { mountedObjectRule } from './_mounts.js';

/** Workload with PVC access: mounts a PersistentVolumeClaim that exists. */
export default defineControl({
  id: 'C-0257',
  category: 'Storage',
  rules: [
    mountedObjectRule(
      'workload-mounted-pvc',
      'PersistentVolumeClaim',
      (v) => v.persistentVolumeClaim?.claimName,
    ),
  ],
});
