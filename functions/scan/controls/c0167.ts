import { fileOwnershipControl, kubeletFile } from './_hostfacts.js';

/** CIS 4.1.6: the kubelet kubeconfig (kubelet.conf) is owned by root:root. */
export default fileOwnershipControl(
  'C-0167',
  'node',
  kubeletFile((k) => k.kubeConfigFile, 'kubelet.kubeConfigFile'),
);
