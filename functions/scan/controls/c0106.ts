import { filePermissionControl, componentFileOf } from './_hostfacts.js';

/** CIS 1.1.15: the scheduler kubeconfig (scheduler.conf, `--kubeconfig`) is mode 600 or stricter. */
export default filePermissionControl(
  'C-0106',
  'control-plane',
  componentFileOf('scheduler', 'kubeconfig'),
  0o600,
);
