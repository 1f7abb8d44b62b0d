import { defineControl } from '../engine/control.js';
import { missingResourceRule } from './_resources.js';

/** Every container sets resources.limits.cpu (a missing value is a fixPath with YOUR_VALUE). */
export default defineControl({
  id: 'C-0270',
  category: 'Resource management',
  rules: [missingResourceRule('resources-cpu-limits', [['limits', 'cpu']])],
});
