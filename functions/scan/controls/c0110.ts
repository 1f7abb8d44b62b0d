import { fileOwnershipControl, section, type FilesOf } from './_hostfacts.js';

const pki: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  if (!cp?.apiServer || !cp.pkiDir.exists) return null;
  return [
    { fact: cp.pkiDir, path: 'controlPlane.pkiDir' },
    ...cp.pkiFiles.map((fact, i) => ({ fact, path: `controlPlane.pkiFiles[${i}]` })),
  ];
};

/** CIS 1.1.19: the PKI directory and every file in it are owned by root:root. */
export default fileOwnershipControl('C-0110', 'control-plane', pki);
