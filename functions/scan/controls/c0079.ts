import { get, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { defineHostControl, ruleNameOf } from './_hostfacts.js';
import { compareVersions, versionOf } from './_lib.js';
import { hostFactsOf } from '../host/facts.js';

/** Kernels with CVE-2022-0185 (5.1 up to 5.16.1; fixed upstream in 5.16.2, 5.15.16, 5.10.93, 5.4.173). */
export function vulnerableKernel(version: string | undefined): boolean {
  const v = versionOf(version);
  if (!v) return false;
  if (compareVersions(v, [5, 1, 0]) < 0 || compareVersions(v, [5, 16, 2]) >= 0) return false;
  const fixed: Record<number, number> = { 4: 173, 10: 93, 15: 16 };
  const minor = v[1] as number;
  return fixed[minor] === undefined || (v[2] as number) < fixed[minor];
}

/**
 * CVE-2022-0185 (heap overflow in the filesystem-context API, a container escape for whoever can
 * create user namespaces): a Node on an affected kernel (`status.nodeInfo.kernelVersion`, else the
 * host facts' release) where node-agent reports `kernel.unprivileged_userns_clone=1`. Like
 * Kubescape, it needs the host's kernel variables: nodes without a report are skipped.
 */
export default defineHostControl({
  id: 'C-0079',
  category: 'Node escape',
  scope: 'node',
  rules: [
    {
      name: ruleNameOf('C-0079'),
      kinds: ['Node'],
      evaluate: (r, ctx): Finding[] => {
        const facts = hostFactsOf(ctx.index, r.object.metadata.name);
        if (!facts) return [];
        const fromNode = str(get(r.object, 'status', 'nodeInfo', 'kernelVersion'));
        const version = fromNode ?? facts.kernel.release;
        if (!vulnerableKernel(version)) return [];
        const i = facts.kernelVariables.findIndex(
          (k) => k.key === 'kernel.unprivileged_userns_clone' && k.value.trim() === '1',
        );
        if (i < 0) return [];
        const paths = [
          fromNode ? 'status.nodeInfo.kernelVersion' : 'kernel.release',
          `kernelVariables[${i}].value`,
        ];
        return [{ failedPaths: paths, reviewPaths: paths }];
      },
    },
  ],
});
