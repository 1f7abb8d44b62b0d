/**
 * Kubernetes client construction shared by every component: in-cluster config when running in a
 * pod, else KUBECONFIG / ~/.kube/config (dev mode points KUBECONFIG at its sandbox cluster).
 * Functions use access.ts instead, which loads this module only when a kubeconfig file is the source.
 */
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}
