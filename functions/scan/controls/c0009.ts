import { defineControl } from '../engine/control.js';
import { missingResourceRule } from './_resources.js';

/** Resource limits: every container has limits.cpu and limits.memory. */
export default defineControl({
  id: 'C-0009',
  category: 'Resource management',
  rules: [
    missingResourceRule('resource-policies', [
      ['limits', 'cpu'],
      ['limits', 'memory'],
    ]),
  ],
});
