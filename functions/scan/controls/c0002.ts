import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** Prevent containers from allowing command execution: subjects that can create pods/exec. */
export default defineControl({
  id: 'C-0002',
  category: 'Access control',
  rules: [
    rbacRule('exec-into-container-v1', {
      verbs: ['create', '*'],
      apiGroups: ['', '*'],
      resources: ['pods/exec', 'pods/*', '*'],
    }),
  ],
});
