import { fileOwnershipControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.2: the kube-apiserver static pod manifest is owned by root:root. */
export default fileOwnershipControl('C-0093', 'control-plane', manifestOf('apiServer'));
