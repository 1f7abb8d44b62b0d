import { featureGateNotFalse } from './_flags.js';
import {
  defineHostControl,
  KUBELET_CMD,
  KUBELET_CONFIG,
  kubeletOf,
  nodeRule,
  ruleNameOf,
} from './_hostfacts.js';
import { get } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';

const GATE = 'RotateKubeletServerCertificate';

/** CIS 4.2.11: the kubelet does not turn the RotateKubeletServerCertificate feature gate off (flag or config `featureGates`). */
export default defineHostControl({
  id: 'C-0183',
  category: 'Control plane',
  scope: 'node',
  rules: [
    nodeRule(
      ruleNameOf('C-0183'),
      (f) => kubeletOf(f) !== null,
      (f): Finding[] => {
        const k = kubeletOf(f);
        if (!k) return [];
        const fromFlag = featureGateNotFalse(GATE)({
          argv: k.process.cmdLine,
          path: (i) => `${KUBELET_CMD}[${i}]`,
        });
        if (fromFlag.length > 0) return fromFlag;
        const v = get(k.configFile?.content, 'featureGates', GATE);
        if (v === false || v === 'false') {
          const p = `${KUBELET_CONFIG}.featureGates.${GATE}`;
          return [{ failedPaths: [p], fixPaths: [{ path: p, value: 'true' }] }];
        }
        return [];
      },
    ),
  ],
});
