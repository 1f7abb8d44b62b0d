import { fileOwnershipControl, section, type FilesOf } from './_hostfacts.js';

const adminConf: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  return cp?.apiServer ? [{ fact: cp.adminConfigFile, path: 'controlPlane.adminConfigFile' }] : null;
};

/** CIS 1.1.14: /etc/kubernetes/admin.conf is owned by root:root. */
export default fileOwnershipControl('C-0105', 'control-plane', adminConf);
