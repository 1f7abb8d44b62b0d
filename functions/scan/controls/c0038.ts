import { defineControl } from '../engine/control.js';
import { hostNamespaceRule } from './_host.js';

/** Host PID/IPC privileges: hostPID or hostIPC true (deletePaths spec.hostPID / spec.hostIPC). */
export default defineControl({
  id: 'C-0038',
  category: 'Workload',
  rules: [hostNamespaceRule('host-pid-ipc-privileges', ['hostPID', 'hostIPC'])],
});
