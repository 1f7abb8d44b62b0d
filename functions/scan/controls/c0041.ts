import { defineControl } from '../engine/control.js';
import { hostNamespaceRule } from './_host.js';

/** HostNetwork access: hostNetwork true. */
export default defineControl({
  id: 'C-0041',
  category: 'Network',
  rules: [hostNamespaceRule('host-network-access', ['hostNetwork'])],
});
