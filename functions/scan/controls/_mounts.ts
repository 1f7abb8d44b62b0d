/** Workloads mounting Secrets / PVCs / ConfigMaps that exist in the input (C-0255, C-0257, C-0258). */
import { at, indexed } from '../engine/paths.js';
import { objectId } from '../engine/objects.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { containersOf, volumesOf, type Volume, POD_CONTAINERS } from '../engine/workload.js';
import { reviewRelated, workloadRule } from './_lib.js';

export function mountedObjectRule(
  name: string,
  kind: string,
  refOf: (v: Volume) => string | undefined,
): RuleDefinition {
  return workloadRule(name, (wl, ctx) => {
    const ns = wl.object.metadata.namespace ?? 'default';
    // volume name → object id; created on the first hit (most workloads mount none).
    let targets: Map<string, string> | undefined;
    for (const v of volumesOf(wl)) {
      const ref = refOf(v.volume);
      if (!ref || typeof v.volume.name !== 'string') continue;
      const obj = ctx.index.find(kind, ns, ref);
      if (obj) (targets ??= new Map()).set(v.volume.name, objectId(obj));
    }
    if (targets === undefined) return [];
    const found = targets;
    const out: Finding[] = [];
    for (const c of containersOf(wl, POD_CONTAINERS)) {
      const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
      for (let k = 0; k < mounts.length; k++) {
        const m = mounts[k];
        const id = typeof m?.name === 'string' ? found.get(m.name) : undefined;
        if (!id) continue;
        out.push(reviewRelated(indexed(at(c.path, '.volumeMounts'), k), id));
      }
    }
    return out;
  });
}
