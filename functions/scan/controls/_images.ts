/** Image rules over every container image of a workload. */
import { at } from '../engine/paths.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { containersOf, type ContainerRef, type WorkloadView, POD_CONTAINERS } from '../engine/workload.js';
import type { EvalContext } from '../engine/types.js';
import { parseImage, review, workloadRule, type ImageRef } from './_lib.js';

/** Fails each container whose image satisfies `bad`, with the image path for review. */
export function imageRule(
  name: string,
  bad: (image: ImageRef, raw: string, ctx: EvalContext, c: ContainerRef, wl: WorkloadView) => boolean,
  opts: { kinds?: readonly string[]; inputs?: readonly string[] } = {},
): RuleDefinition {
  return workloadRule(
    name,
    (wl, ctx) => {
      const out: Finding[] = [];
      for (const c of containersOf(wl, POD_CONTAINERS)) {
        const raw = c.container.image;
        if (typeof raw !== 'string' || raw === '') continue;
        if (bad(parseImage(raw), raw, ctx, c, wl)) out.push(review(at(c.path, '.image')));
      }
      return out;
    },
    opts,
  );
}

/** Registry prefix match on the raw and on the normalized (docker.io/library/…) image name. */
export function startsWithAny(image: ImageRef, raw: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => p !== '' && (raw.startsWith(p) || image.normalized.startsWith(p)));
}
