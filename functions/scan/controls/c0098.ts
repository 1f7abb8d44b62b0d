import { filePermissionControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.7: the etcd static pod manifest is mode 600 or stricter. */
export default filePermissionControl('C-0098', 'control-plane', manifestOf('etcd'), 0o600);
