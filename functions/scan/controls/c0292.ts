import { defineControl } from '../engine/control.js';
import { imageRule } from './_images.js';

const EOL_IMAGES = ['ingress-nginx/controller', 'k8s.gcr.io/ingress-nginx', 'registry.k8s.io/ingress-nginx'];

/** Nginx Ingress Controller End of Life (March 2026): ingress-nginx controller images. */
export default defineControl({
  id: 'C-0292',
  category: 'Supply chain',
  rules: [
    imageRule('detect-nginx-ingress-controller-eol', (_img, raw) => EOL_IMAGES.some((p) => raw.includes(p)), {
      kinds: ['Deployment', 'DaemonSet', 'StatefulSet'],
    }),
  ],
});
