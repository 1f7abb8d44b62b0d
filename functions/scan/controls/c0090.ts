import { defineControl } from '../engine/control.js';
import { imageRule } from './_images.js';
import { versionOf } from './_lib.js';

/** CVE-2022-39328 (Grafana auth bypass): grafana images 9.2.0 to 9.2.3. */
export default defineControl({
  id: 'C-0090',
  category: 'Workload',
  rules: [
    imageRule(
      'CVE-2022-39328',
      (img, raw) => {
        if (!raw.includes('grafana:')) return false;
        const v = versionOf(img.tag);
        return !!v && v[0] === 9 && v[1] === 2 && (v[2] ?? 0) < 4;
      },
      { kinds: ['Deployment'] },
    ),
  ],
});
