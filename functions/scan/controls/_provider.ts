/**
 * The cluster's cloud provider, as Kubescape's `dataControlInputs.cloudProvider` gives it: read from
 * the Nodes' `spec.providerID` (`aws://` EKS, `gce://` GKE, `azure://` AKS). Kubescape runs
 * EKS/AKS-scoped controls (`scanningScope`) only on those clusters; `onProvider` gives a rule the
 * same population (none in manifest scans, which have no Nodes).
 */
import type { ClusterIndex } from '../engine/cluster-index.js';
import { get, str } from '../engine/objects.js';
import type { RuleDefinition } from '../engine/types.js';

export type CloudProvider = 'eks' | 'gke' | 'aks';

export function cloudProviderOf(index: ClusterIndex): CloudProvider | undefined {
  return index.memo('cloudProvider', () => {
    for (const n of index.ofKind('Node')) {
      const id = str(get(n, 'spec', 'providerID')) ?? '';
      if (id.startsWith('aws://')) return 'eks';
      if (id.startsWith('gce://')) return 'gke';
      if (id.startsWith('azure://')) return 'aks';
    }
    return undefined;
  });
}

export function onProvider(provider: CloudProvider, rule: RuleDefinition): RuleDefinition {
  const inner = rule.relevant;
  return {
    ...rule,
    relevant: (r, ctx) => cloudProviderOf(ctx.index) === provider && (inner ? inner(r, ctx) : true),
  };
}
