import { findFlag } from './_flags.js';
import { defineHostControl, nodeRule, ruleNameOf, section } from './_hostfacts.js';
import { objectRule } from './_lib.js';
import { get, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { parse } from 'yaml';

const exposed = (addr: string): boolean =>
  /^(0\.0\.0\.0|\[?::\]?)(:|$)/.test(addr.trim()) || addr.trim().startsWith(':');

function configBindAddress(text: string): string | undefined {
  try {
    return str(get(parse(text, { maxAliasCount: 50 }) as unknown, 'metricsBindAddress'));
  } catch {
    return undefined;
  }
}

/**
 * CIS 4.3.1: kube-proxy serves metrics on localhost only (`metricsBindAddress` / `--metrics-bind-address`
 * not on all interfaces). Kubescape reads the kube-proxy ConfigMap; on nodes with host facts the
 * running kube-proxy's flag or config file is checked too.
 */
export default defineHostControl({
  id: 'C-0291',
  category: 'Control plane',
  scope: 'node',
  rules: [
    objectRule(
      ruleNameOf('C-0291'),
      ['ConfigMap'],
      (cm): Finding[] => {
        const data = get(cm, 'data');
        const out: Finding[] = [];
        for (const key of ['config.conf', 'config']) {
          const text = str(get(data, key));
          const addr = text ? configBindAddress(text) : undefined;
          if (addr !== undefined && exposed(addr))
            out.push({ failedPaths: [`data[${key}]`], reviewPaths: [`data[${key}]`] });
        }
        return out;
      },
      {
        relevant: (r) =>
          r.object.metadata.namespace === 'kube-system' && r.object.metadata.name === 'kube-proxy',
      },
    ),
    nodeRule(
      `${ruleNameOf('C-0291')}-host`,
      (f) => section('kubeProxy', f.kubeProxy) !== null,
      (f): Finding[] => {
        const p = section('kubeProxy', f.kubeProxy);
        if (!p) return [];
        const hit = findFlag(p.process.cmdLine, 'metrics-bind-address');
        if (hit) {
          if (!exposed(hit.value)) return [];
          const path = `kubeProxy.process.cmdLine[${hit.index}]`;
          return [
            { failedPaths: [path], fixPaths: [{ path, value: '--metrics-bind-address=127.0.0.1:10249' }] },
          ];
        }
        const addr = str(get(p.configFile?.content, 'metricsBindAddress'));
        if (addr === undefined || !exposed(addr)) return [];
        const path = 'kubeProxy.configFile.content.metricsBindAddress';
        return [{ failedPaths: [path], fixPaths: [{ path, value: '127.0.0.1:10249' }] }];
      },
    ),
  ],
});
