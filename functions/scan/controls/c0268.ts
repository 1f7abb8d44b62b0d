import { defineControl } from '../engine/control.js';
import { missingResourceRule } from './_resources.js';

/** Every container sets resources.requests.cpu (a missing value is a fixPath with YOUR_VALUE). */
export default defineControl({
  id: 'C-0268',
  category: 'Resource management',
  rules: [missingResourceRule('resources-cpu-requests', [['requests', 'cpu']])],
});
