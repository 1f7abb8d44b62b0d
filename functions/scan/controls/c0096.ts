import { filePermissionControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.5: the kube-scheduler static pod manifest is mode 600 or stricter. */
export default filePermissionControl('C-0096', 'control-plane', manifestOf('scheduler'), 0o600);
