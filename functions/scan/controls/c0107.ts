import { fileOwnershipControl, componentFileOf } from './_hostfacts.js';

/** CIS 1.1.16: the scheduler kubeconfig (scheduler.conf) is owned by root:root. */
export default fileOwnershipControl('C-0107', 'control-plane', componentFileOf('scheduler', 'kubeconfig'));
