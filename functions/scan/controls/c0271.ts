import { defineControl } from '../engine/control.js';
import { missingResourceRule } from './_resources.js';

/** Every container sets resources.limits.memory (a missing value is a fixPath with YOUR_VALUE). */
export default defineControl({
  id: 'C-0271',
  category: 'Resource management',
  rules: [missingResourceRule('resources-memory-limits', [['limits', 'memory']])],
});
