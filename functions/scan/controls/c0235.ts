import { filePermissionControl, kubeletFile } from './_hostfacts.js';

/** CIS EKS/AKS 3.1.3: the kubelet config file is mode 644 or stricter. */
export default filePermissionControl(
  'C-0235',
  'node',
  kubeletFile((k) => k.configFile, 'kubelet.configFile'),
  0o644,
);
