import { fileOwnershipControl, kubeletOf, type FilesOf } from './_hostfacts.js';

const serviceFiles: FilesOf = (f) => {
  const k = kubeletOf(f);
  return k ? k.serviceFiles.map((fact, i) => ({ fact, path: `kubelet.serviceFiles[${i}]` })) : null;
};

/** CIS 4.1.2: kubelet systemd unit and drop-in files are owned by root:root. */
export default fileOwnershipControl('C-0163', 'node', serviceFiles);
