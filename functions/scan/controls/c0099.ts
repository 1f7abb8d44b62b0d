import { fileOwnershipControl, manifestOf } from './_hostfacts.js';

/** CIS 1.1.8: the etcd static pod manifest is owned by root:root. */
export default fileOwnershipControl('C-0099', 'control-plane', manifestOf('etcd'));
