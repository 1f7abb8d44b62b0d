import { defineControl } from '../engine/control.js';
import { imageRule } from './_images.js';
import { versionOf } from './_lib.js';

/** CVE-2022-24348 (Argo CD directory traversal): argocd images 1.x, 2.0.x, 2.1.<9, 2.2.<4. */
export default defineControl({
  id: 'C-0081',
  category: 'Workload',
  rules: [
    imageRule(
      'CVE-2022-24348',
      (img, raw) => {
        if (!raw.includes('argocd:v')) return false;
        const v = versionOf(img.tag);
        if (!v) return false;
        const [major, minor, patch] = v as [number, number, number];
        return (
          major === 1 ||
          (major === 2 && (minor === 0 || (minor === 1 && patch < 9) || (minor === 2 && patch < 4)))
        );
      },
      { kinds: ['Deployment'] },
    ),
  ],
});
