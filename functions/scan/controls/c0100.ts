import { filePermissionControl, section, type FilesOf } from './_hostfacts.js';

const cniFiles: FilesOf = (f) => {
  const c = section('cni', f.cni);
  return c ? c.configFiles.map((fact, i) => ({ fact, path: `cni.configFiles[${i}]` })) : null;
};

/** CIS 1.1.9: CNI configuration files are mode 600 or stricter. */
export default filePermissionControl('C-0100', 'node', cniFiles, 0o600, 'Network');
