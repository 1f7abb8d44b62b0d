import { filePermissionControl, section, type FilesOf } from './_hostfacts.js';

const certs: FilesOf = (f) => {
  const cp = section('controlPlane', f.controlPlane);
  if (!cp?.apiServer || !cp.pkiDir.exists) return null;
  return cp.pkiFiles.flatMap((fact, i) =>
    fact.type === 'file' && fact.path.endsWith('.crt') ? [{ fact, path: `controlPlane.pkiFiles[${i}]` }] : [],
  );
};

/** CIS 1.1.20: PKI certificate files (*.crt) are mode 600 or stricter (regolibrary keeps 600 where CIS v1.10 relaxed it to 644). */
export default filePermissionControl('C-0111', 'control-plane', certs, 0o600);
