/**
 * Kubernetes client construction shared by every component: in-cluster config when running in a
 * pod, else KUBECONFIG / ~/.kube/config (dev mode points KUBECONFIG at its sandbox cluster).
 */
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

/** Iterate a paged list (`limit`/`continue`) without holding more than one page in memory. */
export async function* paged<T>(
  fetchPage: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
): AsyncGenerator<T> {
  let cont: string | undefined;
  do {
    const page = await fetchPage(cont);
    yield* page.items;
    cont = page.metadata?._continue || undefined;
  } while (cont);
}
