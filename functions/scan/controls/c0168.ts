import { filePermissionControl, kubeletFile } from './_hostfacts.js';

/** CIS 4.1.7: the kubelet client CA file is mode 600 or stricter. */
export default filePermissionControl(
  'C-0168',
  'node',
  kubeletFile((k) => k.clientCAFile, 'kubelet.clientCAFile'),
  0o600,
);
