import { defineControl } from '../engine/control.js';
import { imageRule } from './_images.js';

/** Deprecated Kubernetes image registry: kube-system images still pulled from k8s.gcr.io. */
export default defineControl({
  id: 'C-0253',
  category: 'Supply chain',
  rules: [
    {
      ...imageRule('rule-identify-old-k8s-registry', (_img, raw) => raw.startsWith('k8s.gcr.io/')),
      relevant: (r) => r.object.metadata.namespace === 'kube-system',
    },
  ],
});
