import { findFlag, type Args } from './_flags.js';
import {
  componentArgs,
  componentFlagRule,
  defineHostControl,
  isComponentPod,
  ruleNameOf,
} from './_hostfacts.js';
import { arr, get, strings } from '../engine/objects.js';
import type { EvalContext, Finding, ScanResource } from '../engine/types.js';

/** kube-apiserver's `--client-ca-file` on the same node (facts) or in the cluster's kube-system Pods. */
function apiServerClientCA(r: ScanResource, ctx: EvalContext): string | undefined {
  if (r.matchKind === 'Node') {
    const api = componentArgs(r, ctx, 'apiServer');
    return api ? findFlag(api.argv, 'client-ca-file')?.value : undefined;
  }
  for (const p of ctx.index.inNamespace('Pod', 'kube-system')) {
    if (!isComponentPod(p, 'apiServer')) continue;
    const v = findFlag(
      strings(get(arr(get(p, 'spec', 'containers'))[0], 'command')),
      'client-ca-file',
    )?.value;
    if (v) return v;
  }
  return undefined;
}

/**
 * CIS 2.7: etcd trusts its own CA: etcd `--trusted-ca-file` differs from kube-apiserver's
 * `--client-ca-file` (a shared CA lets every API client certificate authenticate to etcd).
 */
export default defineHostControl({
  id: 'C-0159',
  category: 'Control plane',
  scope: 'control-plane',
  rules: [
    componentFlagRule(ruleNameOf('C-0159'), 'etcd', (args: Args, r, ctx): Finding[] => {
      const trusted = findFlag(args.argv, 'trusted-ca-file');
      if (!trusted)
        return [{ fixPaths: [{ path: args.path(args.argv.length), value: '--trusted-ca-file=YOUR_VALUE' }] }];
      const apiCA = apiServerClientCA(r, ctx);
      if (apiCA === undefined || apiCA !== trusted.value) return [];
      const p = args.path(trusted.index);
      return [{ failedPaths: [p], reviewPaths: [p] }];
    }),
  ],
});
