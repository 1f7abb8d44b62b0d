import { filePermissionControl, section, type FilesOf } from './_hostfacts.js';

const dataDir: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  return cp?.etcd ? [{ fact: cp.etcdDataDir, path: 'controlPlane.etcdDataDir' }] : null;
};

/** CIS 1.1.11: the etcd data directory is mode 700 or stricter. */
export default filePermissionControl('C-0102', 'control-plane', dataDir, 0o700);
