import { findFlag, onlyStrongCiphers, STRONG_CIPHERS_VALUE } from './_flags.js';
import { fix } from './_lib.js';
import {
  defineHostControl,
  KUBELET_CMD,
  KUBELET_CONFIG,
  kubeletOf,
  nodeRule,
  ruleNameOf,
} from './_hostfacts.js';
import { get, strings } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';

/** CIS 4.2.12: the kubelet restricts TLS to strong cipher suites (`--tls-cipher-suites` or config `tlsCipherSuites`). */
export default defineHostControl({
  id: 'C-0184',
  category: 'Control plane',
  scope: 'node',
  rules: [
    nodeRule(
      ruleNameOf('C-0184'),
      (f) => kubeletOf(f) !== null,
      (f): Finding[] => {
        const k = kubeletOf(f);
        if (!k) return [];
        const argv = k.process.cmdLine;
        const hit = findFlag(argv, 'tls-cipher-suites');
        if (hit) {
          if (onlyStrongCiphers(hit.value)) return [];
          const p = `${KUBELET_CMD}[${hit.index}]`;
          return [
            {
              failedPaths: [p],
              fixPaths: [{ path: p, value: `--tls-cipher-suites=${STRONG_CIPHERS_VALUE}` }],
            },
          ];
        }
        const content = k.configFile?.content;
        const configured = strings(get(content, 'tlsCipherSuites'));
        if (configured.length > 0) {
          if (onlyStrongCiphers(configured.join(','))) return [];
          const p = `${KUBELET_CONFIG}.tlsCipherSuites`;
          return [{ failedPaths: [p], fixPaths: [{ path: p, value: STRONG_CIPHERS_VALUE }] }];
        }
        return typeof content === 'object' && content !== null
          ? [fix(`${KUBELET_CONFIG}.tlsCipherSuites`, STRONG_CIPHERS_VALUE)]
          : [fix(`${KUBELET_CMD}[${argv.length}]`, `--tls-cipher-suites=${STRONG_CIPHERS_VALUE}`)];
      },
    ),
  ],
});
