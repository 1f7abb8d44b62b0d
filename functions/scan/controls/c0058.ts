import { defineControl } from '../engine/control.js';
import { get, objectId, str } from '../engine/objects.js';
import type { Finding, KubeObject } from '../engine/types.js';
import { containersOf, POD_CONTAINERS } from '../engine/workload.js';
import { review, versionOf, workloadRule } from './_lib.js';

/** Kubelet versions affected by CVE-2021-25741 (fixed in 1.19.15, 1.20.11, 1.21.5, 1.22.2). */
export function vulnerableKubelet(version: string | undefined): boolean {
  const v = versionOf(version);
  if (!v) return false;
  const [major, minor, patch] = v as [number, number, number];
  if (major !== 1) return false;
  if (minor < 19) return true;
  if (minor === 19) return patch <= 14;
  if (minor === 20) return patch <= 10;
  if (minor === 21) return patch <= 4;
  if (minor === 22) return patch <= 1;
  return false;
}

function vulnerableNodes(nodes: readonly KubeObject[]): KubeObject[] {
  return nodes.filter((n) => vulnerableKubelet(str(get(n, 'status', 'nodeInfo', 'kubeletVersion'))));
}

/** CVE-2021-25741: subPath/subPathExpr mounts on a cluster with a vulnerable kubelet. */
export default defineControl({
  id: 'C-0058',
  category: 'Node escape',
  rules: [
    {
      ...workloadRule('Symlink-Exchange-Can-Allow-Host-Filesystem-Access', (wl, ctx) => {
        const nodes = vulnerableNodes(ctx.index.ofKind('Node'));
        if (nodes.length === 0) return [];
        const out: Finding[] = [];
        for (const c of containersOf(wl, POD_CONTAINERS)) {
          const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
          mounts.forEach((m, k) => {
            if (m?.subPath !== undefined) out.push(review(`${c.path}.volumeMounts[${k}].subPath`));
            else if (m?.subPathExpr !== undefined)
              out.push(review(`${c.path}.volumeMounts[${k}].subPathExpr`));
          });
        }
        return out.length > 0 ? [...out, { relatedResourcesIDs: nodes.map(objectId) }] : [];
      }),
      // Without Node objects the kubelet version is unknown: the rule has no population.
      kinds: ['Pod', 'Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob'],
    },
  ],
});
