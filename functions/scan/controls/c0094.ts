import { filePermissionControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.3: the kube-controller-manager static pod manifest is mode 600 or stricter. */
export default filePermissionControl('C-0094', 'control-plane', manifestOf('controllerManager'), 0o600);
