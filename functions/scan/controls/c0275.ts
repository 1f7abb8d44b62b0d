import { defineControl } from '../engine/control.js';
import { hostNamespaceRule } from './_host.js';

/** CIS 5.2.3: no pod shares the host PID namespace. */
export default defineControl({
  id: 'C-0275',
  category: 'Workload',
  rules: [hostNamespaceRule('host-pid-privileges', ['hostPID'])],
});
