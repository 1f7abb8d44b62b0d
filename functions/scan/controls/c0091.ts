import { defineControl } from '../engine/control.js';
import { imageRule } from './_images.js';
import { versionOf } from './_lib.js';

/** CVE-2022-47633 (Kyverno signature bypass): kyverno images v1.8.3 and v1.8.4. */
export default defineControl({
  id: 'C-0091',
  category: 'Workload',
  rules: [
    imageRule(
      'CVE-2022-47633',
      (img, raw) => {
        if (!raw.includes('kyverno:v')) return false;
        const v = versionOf(img.tag);
        return !!v && v[0] === 1 && v[1] === 8 && (v[2] === 3 || v[2] === 4);
      },
      { kinds: ['Deployment'] },
    ),
  ],
});
