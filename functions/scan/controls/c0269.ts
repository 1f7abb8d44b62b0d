import { defineControl } from '../engine/control.js';
import { missingResourceRule } from './_resources.js';

/** Every container sets resources.requests.memory (a missing value is a fixPath with YOUR_VALUE). */
export default defineControl({
  id: 'C-0269',
  category: 'Resource management',
  rules: [missingResourceRule('resources-memory-requests', [['requests', 'memory']])],
});
