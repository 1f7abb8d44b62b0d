import { filePermissionControl, section, type FilesOf } from './_hostfacts.js';

const adminConf: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  return cp?.apiServer ? [{ fact: cp.adminConfigFile, path: 'controlPlane.adminConfigFile' }] : null;
};

/** CIS 1.1.13: /etc/kubernetes/admin.conf is mode 600 or stricter. */
export default filePermissionControl('C-0104', 'control-plane', adminConf, 0o600);
