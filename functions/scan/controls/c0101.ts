import { fileOwnershipControl, section, type FilesOf } from './_hostfacts.js';

const cniFiles: FilesOf = (f) => {
  const c = section('cni', f.cni);
  return c ? c.configFiles.map((fact, i) => ({ fact, path: `cni.configFiles[${i}]` })) : null;
};

/** CIS 1.1.10: CNI configuration files are owned by root:root. */
export default fileOwnershipControl('C-0101', 'node', cniFiles, ['root', 'root'], 'Network');
