import { defineControl } from '../engine/control.js';
import { hostNamespaceRule } from './_host.js';

/** CIS 5.2.4: no pod shares the host IPC namespace. */
export default defineControl({
  id: 'C-0276',
  category: 'Workload',
  rules: [hostNamespaceRule('host-ipc-privileges', ['hostIPC'])],
});
