import { defineControl } from '../engine/control.js';
import { automountServiceAccountRule, automountWorkloadRule } from './_automount.js';

/** CIS 5.1.6: Service Account Tokens only mounted where necessary (rule of C-0034). */
export default defineControl({
  id: 'C-0190',
  category: 'Access control',
  rules: [automountWorkloadRule, automountServiceAccountRule],
});
