import { defineControl } from '../engine/control.js';
import { arr } from '../engine/objects.js';
import { ALERT, objectRule } from './_lib.js';

/** Naked pods: Pods without ownerReferences (not managed by any controller). */
export default defineControl({
  id: 'C-0073',
  category: 'Workload',
  rules: [
    objectRule('naked-pods', ['Pod'], (pod) =>
      arr(pod.metadata.ownerReferences).length === 0 ? [ALERT] : [],
    ),
  ],
});
