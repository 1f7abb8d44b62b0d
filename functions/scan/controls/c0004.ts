import { defineControl } from '../engine/control.js';
import { rangedResourceRule } from './_resources.js';

/** Resources memory limit and request: requests and limits set and within memory_{request,limit}_{min,max}. */
export default defineControl({
  id: 'C-0004',
  category: 'Resource management',
  actionRequired: 'configuration',
  rules: [rangedResourceRule('resources-memory-limit-and-request', 'memory')],
});
