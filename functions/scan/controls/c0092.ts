import { filePermissionControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.1: the kube-apiserver static pod manifest is mode 600 or stricter. */
export default filePermissionControl('C-0092', 'control-plane', manifestOf('apiServer'), 0o600);
