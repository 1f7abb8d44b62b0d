import { flagUnset } from './_flags.js';
import { defineHostControl, KUBELET_CMD, kubeletOf, nodeRule, ruleNameOf } from './_hostfacts.js';

/** CIS 4.2.7: the kubelet runs without `--hostname-override` (it breaks TLS between kubelet and API server). */
export default defineHostControl({
  id: 'C-0179',
  category: 'Control plane',
  scope: 'node',
  rules: [
    nodeRule(
      ruleNameOf('C-0179'),
      (f) => kubeletOf(f) !== null,
      (f) =>
        flagUnset('hostname-override')({
          argv: kubeletOf(f)?.process.cmdLine ?? [],
          path: (i) => `${KUBELET_CMD}[${i}]`,
        }),
    ),
  ],
});
