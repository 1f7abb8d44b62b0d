import { filePermissionControl, section, type FilesOf } from './_hostfacts.js';

const proxyKubeconfig: FilesOf = (f) => {
  const p = section('kubeProxy', f.kubeProxy);
  return p ? [{ fact: p.kubeConfigFile, path: 'kubeProxy.kubeConfigFile' }] : null;
};

/** CIS 4.1.3: the kube-proxy kubeconfig, if it exists on the host, is mode 600 or stricter. */
export default filePermissionControl('C-0164', 'node', proxyKubeconfig, 0o600);
