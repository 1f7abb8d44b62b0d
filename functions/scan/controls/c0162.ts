import { filePermissionControl, kubeletOf, type FilesOf } from './_hostfacts.js';

const serviceFiles: FilesOf = (f) => {
  const k = kubeletOf(f);
  return k ? k.serviceFiles.map((fact, i) => ({ fact, path: `kubelet.serviceFiles[${i}]` })) : null;
};

/** CIS 4.1.1: kubelet systemd unit and drop-in files are mode 600 or stricter. */
export default filePermissionControl('C-0162', 'node', serviceFiles, 0o600);
