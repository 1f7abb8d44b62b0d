import { defineHostControl, nodeRule, ruleNameOf, section } from './_hostfacts.js';
import { review } from './_lib.js';

/**
 * CNI plugins that enforce NetworkPolicy (by network name or plugin type as node-agent reports
 * them). flannel, bridge, host-local, portmap ... do not; a chained config with one of these does.
 */
export const NETWORK_POLICY_CNIS: readonly string[] = [
  'calico',
  'canal',
  'cilium',
  'weave',
  'weave-net',
  'antrea',
  'kube-router',
  'romana',
  'ovn-kubernetes',
  'ovn-k8s-cni-overlay',
  'kube-ovn',
  'aws-node',
  'vpc-cni',
  'azure',
  'azure-vnet',
  'gke',
  'contiv',
  'openshift-sdn',
];

/** CIS 5.3.1: the node's CNI supports Network Policies. */
export default defineHostControl({
  id: 'C-0205',
  category: 'Network',
  scope: 'node',
  rules: [
    nodeRule(
      ruleNameOf('C-0205'),
      (f) => (section('cni', f.cni)?.configFiles.length ?? 0) > 0,
      (f) => {
        const names = section('cni', f.cni)?.names ?? [];
        const supported = names.some((n) => NETWORK_POLICY_CNIS.includes(n.toLowerCase()));
        return supported ? [] : [review('cni.names')];
      },
    ),
  ],
});
