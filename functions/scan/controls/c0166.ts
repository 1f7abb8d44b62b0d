import { filePermissionControl, kubeletFile } from './_hostfacts.js';

/** CIS 4.1.5: the kubelet kubeconfig (`--kubeconfig`, kubelet.conf) is mode 600 or stricter. */
export default filePermissionControl(
  'C-0166',
  'node',
  kubeletFile((k) => k.kubeConfigFile, 'kubelet.kubeConfigFile'),
  0o600,
);
