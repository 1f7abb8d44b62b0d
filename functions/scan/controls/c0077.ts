import { defineControl } from '../engine/control.js';
import { recommendedLabelsRule } from './_labels.js';

/** K8s common labels usage: at least one app.kubernetes.io/* recommended label. */
export default defineControl({
  id: 'C-0077',
  category: 'Workload',
  actionRequired: 'configuration',
  rules: [recommendedLabelsRule('k8s-common-labels-usage', 'k8sRecommendedLabels')],
});
