import { filePermissionControl, componentFileOf } from './_hostfacts.js';

/** CIS 1.1.17: the controller-manager kubeconfig (controller-manager.conf) is mode 600 or stricter. */
export default filePermissionControl(
  'C-0108',
  'control-plane',
  componentFileOf('controllerManager', 'kubeconfig'),
  0o600,
);
