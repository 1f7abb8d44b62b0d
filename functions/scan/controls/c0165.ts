import { fileOwnershipControl, section, type FilesOf } from './_hostfacts.js';

const proxyKubeconfig: FilesOf = (f) => {
  const p = section('kubeProxy', f.kubeProxy);
  return p ? [{ fact: p.kubeConfigFile, path: 'kubeProxy.kubeConfigFile' }] : null;
};

/** CIS 4.1.4: the kube-proxy kubeconfig, if it exists on the host, is owned by root:root. */
export default fileOwnershipControl('C-0165', 'node', proxyKubeconfig);
