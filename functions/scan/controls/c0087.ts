import { defineControl } from '../engine/control.js';
import { get, str } from '../engine/objects.js';
import { compareVersions, objectRule, review, versionOf } from './_lib.js';

/** containerd versions affected by CVE-2022-23648 (fixed in 1.4.12, 1.5.10, 1.6.1). */
export function vulnerableContainerd(runtimeVersion: string | undefined): boolean {
  if (!runtimeVersion?.startsWith('containerd://')) return false;
  const v = versionOf(runtimeVersion.slice('containerd://'.length));
  if (!v) return false;
  const [major, minor] = v as [number, number, number];
  if (major !== 1) return major < 1;
  if (minor < 4) return true;
  if (minor === 4) return compareVersions(v, [1, 4, 12]) < 0;
  if (minor === 5) return compareVersions(v, [1, 5, 10]) < 0;
  if (minor === 6) return compareVersions(v, [1, 6, 1]) < 0;
  return false;
}

/** CVE-2022-23648: a Node runs a containerd whose image volumes can escape to host files. */
export default defineControl({
  id: 'C-0087',
  category: 'Node escape',
  rules: [
    objectRule('CVE-2022-23648', ['Node'], (node) =>
      vulnerableContainerd(str(get(node, 'status', 'nodeInfo', 'containerRuntimeVersion')))
        ? [review('status.nodeInfo.containerRuntimeVersion')]
        : [],
    ),
  ],
});
