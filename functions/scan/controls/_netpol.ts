/** Network-policy rules: workload selection (C-0030, C-0260) and namespace coverage (C-0049/C-0054/C-0206). */
import { arr, get, objectId, rec } from '../engine/objects.js';
import type { RuleDefinition } from '../engine/types.js';
import { ALERT, objectRule, policiesOf, withRelated, workloadRule } from './_lib.js';

/** ensure_network_policy_configured_in_labels: no (Cilium)NetworkPolicy selects the workload's pods. */
export const workloadWithoutNetpolRule: RuleDefinition = workloadRule(
  'ensure_network_policy_configured_in_labels',
  (wl, ctx) => {
    return policiesOf(wl, ctx.index).length === 0 ? [ALERT] : [];
  },
);

function blocksTraffic(policy: import('../engine/types.js').KubeObject): boolean {
  if (policy.kind === 'NetworkPolicy') {
    const types = arr(get(policy, 'spec', 'policyTypes'));
    return types.includes('Ingress') || types.includes('Egress');
  }
  // Cilium: an ingress or egress section makes the endpoint default-deny in that direction.
  const spec = rec(policy.spec);
  return (
    !!spec &&
    (spec.ingress !== undefined ||
      spec.egress !== undefined ||
      spec.ingressDeny !== undefined ||
      spec.egressDeny !== undefined)
  );
}

/** ingress-and-egress-blocked: the pods are selected by a policy that restricts ingress or egress. */
export const ingressEgressBlockedRule: RuleDefinition = workloadRule(
  'ingress-and-egress-blocked',
  (wl, ctx) => {
    const policies = policiesOf(wl, ctx.index);
    if (policies.length > 0 && policies.some(blocksTraffic)) return [];
    return [withRelated(undefined, policies.map(objectId))];
  },
);

/** internal-networking: a Namespace with no (Cilium)NetworkPolicy and no all-endpoint CCNP. */
export const namespaceWithoutNetpolRule: RuleDefinition = objectRule(
  'internal-networking',
  ['Namespace'],
  (ns, ctx) => {
    const name = ns.metadata.name;
    if (ctx.index.inNamespace('NetworkPolicy', name).length > 0) return [];
    if (ctx.index.inNamespace('CiliumNetworkPolicy', name).length > 0) return [];
    const clusterWide = ctx.index.ofKind('CiliumClusterwideNetworkPolicy').some((p) => {
      const sel = rec(get(p, 'spec', 'endpointSelector'));
      return (
        !!sel &&
        Object.keys(rec(sel.matchLabels) ?? {}).length === 0 &&
        arr(sel.matchExpressions).length === 0
      );
    });
    return clusterWide ? [] : [ALERT];
  },
);
