import { defineControl } from '../engine/control.js';
import { arr, get, objectId, rec, str, stringMap, mapSelectorMatches } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';
import { workloadRule } from './_lib.js';

/** Service names an Ingress routes to (default backend and every rule path backend). */
function ingressBackends(ing: KubeObject): Set<string> {
  const out = new Set<string>();
  const add = (backend: unknown) => {
    const b = rec(backend);
    const name = str(get(b, 'service', 'name')) ?? str(b?.serviceName);
    if (name) out.add(name);
  };
  add(get(ing, 'spec', 'defaultBackend'));
  add(get(ing, 'spec', 'backend'));
  for (const r of arr(get(ing, 'spec', 'rules'))) for (const p of arr(get(r, 'http', 'paths'))) add(get(p, 'backend'));
  return out;
}

/**
 * External facing: the workload's pods are selected by a NodePort/LoadBalancer Service, or by a
 * Service that an Ingress routes to. The exposing objects are reported as related resources.
 */
export default defineControl({
  id: 'C-0256',
  category: 'Network',
  rules: [
    workloadRule('exposure-to-internet', (wl, ctx) => {
      const ns = wl.object.metadata.namespace ?? 'default';
      const related: string[] = [];
      let ingressTargets: Map<string, KubeObject[]> | undefined;
      for (const svc of ctx.index.inNamespace('Service', ns)) {
        if (!mapSelectorMatches(stringMap(get(svc, 'spec', 'selector')), wl.podLabels)) continue;
        const type = get(svc, 'spec', 'type');
        if (type === 'NodePort' || type === 'LoadBalancer') {
          related.push(objectId(svc));
          continue;
        }
        if (!ingressTargets) {
          ingressTargets = new Map();
          for (const ing of ctx.index.inNamespace('Ingress', ns)) {
            for (const name of ingressBackends(ing)) {
              const list = ingressTargets.get(name) ?? [];
              list.push(ing);
              ingressTargets.set(name, list);
            }
          }
        }
        const ings = ingressTargets.get(svc.metadata.name);
        if (ings) related.push(objectId(svc), ...ings.map(objectId));
      }
      return related.length > 0 ? [{ relatedResourcesIDs: related }] : [];
    }),
  ],
});
