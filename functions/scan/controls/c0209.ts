import { defineControl } from '../engine/control.js';
import { ALERT, objectRule } from './_lib.js';

/** CIS 5.7.1 administrative boundaries: every Namespace is listed for review (the rule always alerts). */
export default defineControl({
  id: 'C-0209',
  category: 'Access control',
  rules: [objectRule('list-all-namespaces', ['Namespace'], () => [ALERT])],
});
