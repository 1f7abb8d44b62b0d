/**
 * kube-system/extension-apiserver-authentication as kube-apiserver (kubeadm defaults) writes it,
 * with the CA PEMs supplied by the test (generated, never checked in).
 */
export function extensionAuthConfigMap(pems: { clientCA: string; requestHeaderCA: string }) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'extension-apiserver-authentication',
      namespace: 'kube-system',
      resourceVersion: '31',
      uid: '0b7c1f0e-64a5-4d1e-9e55-7c3f3d2f2a11',
    },
    data: {
      'client-ca-file': pems.clientCA,
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-client-ca-file': pems.requestHeaderCA,
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-uid-headers': '["X-Remote-Uid"]',
    } as Record<string, string>,
  };
}
