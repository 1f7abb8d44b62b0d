import { fileOwnershipControl, componentFileOf } from './_hostfacts.js';

/** CIS 1.1.18: the controller-manager kubeconfig (controller-manager.conf) is owned by root:root. */
export default fileOwnershipControl(
  'C-0109',
  'control-plane',
  componentFileOf('controllerManager', 'kubeconfig'),
);
