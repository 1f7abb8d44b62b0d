/** Kubescape's chart default excludes (reference operator.md §1.5; KS_EXCLUDE_NAMESPACES): never scanned unless included explicitly. */
export const DEFAULT_EXCLUDED_NAMESPACES = [
  'kubescape',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'kubeconfig',
  'gmp-system',
  'gmp-public',
] as const;
