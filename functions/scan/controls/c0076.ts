import { defineControl } from '../engine/control.js';
import { recommendedLabelsRule } from './_labels.js';

/** Label usage for resources: at least one recommendedLabels label on the workload or its pods. */
export default defineControl({
  id: 'C-0076',
  category: 'Workload',
  actionRequired: 'configuration',
  rules: [recommendedLabelsRule('label-usage-for-resources', 'recommendedLabels')],
});
