import { filePermissionControl, kubeletFile } from './_hostfacts.js';

/** CIS EKS/AKS 3.1.1: the kubelet kubeconfig is mode 644 or stricter. */
export default filePermissionControl(
  'C-0238',
  'node',
  kubeletFile((k) => k.kubeConfigFile, 'kubelet.kubeConfigFile'),
  0o644,
);
