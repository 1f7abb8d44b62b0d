import { fileOwnershipControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.6: the kube-scheduler static pod manifest is owned by root:root. */
export default fileOwnershipControl('C-0097', 'control-plane', manifestOf('scheduler'));
