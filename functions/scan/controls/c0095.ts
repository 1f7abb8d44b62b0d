import { fileOwnershipControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.4: the kube-controller-manager static pod manifest is owned by root:root. */
export default fileOwnershipControl('C-0095', 'control-plane', manifestOf('controllerManager'));
