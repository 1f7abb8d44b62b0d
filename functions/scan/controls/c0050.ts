import { defineControl } from '../engine/control.js';
import { rangedResourceRule } from './_resources.js';

/** Resources CPU limit and request: requests and limits set and within cpu_{request,limit}_{min,max}. */
export default defineControl({
  id: 'C-0050',
  category: 'Resource management',
  actionRequired: 'configuration',
  rules: [rangedResourceRule('resources-cpu-limit-and-request', 'cpu')],
});
