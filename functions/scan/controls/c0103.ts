import { fileOwnershipControl, section, type FilesOf } from './_hostfacts.js';

const dataDir: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  return cp?.etcd ? [{ fact: cp.etcdDataDir, path: 'controlPlane.etcdDataDir' }] : null;
};

/** CIS 1.1.12: the etcd data directory is owned by etcd:etcd. */
export default fileOwnershipControl('C-0103', 'control-plane', dataDir, ['etcd', 'etcd']);
