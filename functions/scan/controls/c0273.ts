import { defineControl } from '../engine/control.js';
import { get, str } from '../engine/objects.js';
import { objectRule, review, versionOf } from './_lib.js';

/** Kubernetes minor versions still supported upstream (reference §2b: v1.34–v1.36). */
export const SUPPORTED_MINORS: readonly number[] = [34, 35, 36];

/** Outdated Kubernetes version: a Node's kubelet is a minor version upstream no longer supports. */
export default defineControl({
  id: 'C-0273',
  category: 'Control plane',
  rules: [
    objectRule('outdated-k8s-version', ['Node'], (node) => {
      const v = versionOf(str(get(node, 'status', 'nodeInfo', 'kubeletVersion')));
      if (!v) return [];
      return v[0] === 1 && SUPPORTED_MINORS.includes(v[1] as number)
        ? []
        : [review('status.nodeInfo.kubeletVersion')];
    }),
  ],
});
