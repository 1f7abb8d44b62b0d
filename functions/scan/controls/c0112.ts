import { filePermissionControl, section, type FilesOf } from './_hostfacts.js';

const keys: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  if (!cp?.apiServer || !cp.pkiDir.exists) return null;
  return cp.pkiFiles.flatMap((fact, i) =>
    fact.type === 'file' && fact.path.endsWith('.key') ? [{ fact, path: `controlPlane.pkiFiles[${i}]` }] : [],
  );
};

/** CIS 1.1.21: PKI key files (*.key) are mode 600. */
export default filePermissionControl('C-0112', 'control-plane', keys, 0o600);
