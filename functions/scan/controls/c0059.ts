import { defineControl } from '../engine/control.js';
import { get } from '../engine/objects.js';
import { imageRule } from './_images.js';
import { compareVersions, versionOf } from './_lib.js';

/** Versions affected: below 0.49.1, and 1.0.0 (fixed in 0.49.1 and 1.0.1). */
function vulnerable(tag: string | undefined): boolean {
  const v = versionOf(tag);
  if (!v) return false;
  return compareVersions(v, [0, 49, 1]) < 0 || compareVersions(v, [1, 0, 0]) === 0;
}

/**
 * CVE-2021-25742 (nginx ingress snippet annotations): a vulnerable controller image in a namespace
 * where no ConfigMap sets allow-snippet-annotations: "false".
 */
export default defineControl({
  id: 'C-0059',
  category: 'Workload',
  rules: [
    imageRule(
      'nginx-ingress-snippet-annotation-vulnerability',
      (img, raw, ctx, _c, wl) =>
        /nginx-controller|ingress-controller|ingress-nginx/.test(raw) &&
        vulnerable(img.tag) &&
        !ctx.index
          .inNamespace('ConfigMap', wl.object.metadata.namespace ?? 'default')
          .some((cm) => get(cm, 'data', 'allow-snippet-annotations') === 'false'),
      { kinds: ['Deployment'] },
    ),
  ],
});
