import { findFlag } from './_flags.js';
import { fix } from './_lib.js';
import {
  defineHostControl,
  KUBELET_CMD,
  KUBELET_CONFIG,
  kubeletOf,
  nodeRule,
  ruleNameOf,
} from './_hostfacts.js';
import { get, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';

const PAIRS = [
  ['tls-cert-file', 'tlsCertFile'],
  ['tls-private-key-file', 'tlsPrivateKeyFile'],
] as const;

/** CIS 4.2.9: the kubelet serves TLS with an explicit certificate and key (flag or config file). */
export default defineHostControl({
  id: 'C-0181',
  category: 'Control plane',
  scope: 'node',
  rules: [
    nodeRule(
      ruleNameOf('C-0181'),
      (f) => kubeletOf(f) !== null,
      (f) => {
        const k = kubeletOf(f);
        if (!k) return [];
        const argv = k.process.cmdLine;
        const content = k.configFile?.content;
        const usesConfig = typeof content === 'object' && content !== null;
        const out: Finding[] = [];
        let next = argv.length;
        for (const [flag, key] of PAIRS) {
          if (findFlag(argv, flag) || str(get(content, key))) continue;
          out.push(
            usesConfig
              ? fix(`${KUBELET_CONFIG}.${key}`, 'YOUR_VALUE')
              : fix(`${KUBELET_CMD}[${next++}]`, `--${flag}=YOUR_VALUE`),
          );
        }
        return out;
      },
    ),
  ],
});
