import { defineControl } from '../engine/control.js';
import { arr, get, objectId, rec, str, stringMap, mapSelectorMatches } from '../engine/objects.js';
import type { ClusterIndex } from '../engine/cluster-index.js';
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
  for (const r of arr(get(ing, 'spec', 'rules')))
    for (const p of arr(get(r, 'http', 'paths'))) add(get(p, 'backend'));
  return out;
}

interface Exposure {
  selector: Record<string, string>;
  /** The Service and, for ClusterIP services, the Ingresses routing to it. */
  ids: string[];
}

/** Services of a namespace that expose pods outside the cluster, computed once per namespace. */
function exposingServices(index: ClusterIndex, ns: string): Exposure[] {
  return index.memo(`C-0256/exposing/${ns}`, () => {
    const ingressTargets = new Map<string, KubeObject[]>();
    for (const ing of index.inNamespace('Ingress', ns)) {
      for (const name of ingressBackends(ing)) {
        const list = ingressTargets.get(name) ?? [];
        list.push(ing);
        ingressTargets.set(name, list);
      }
    }
    const out: Exposure[] = [];
    for (const svc of index.inNamespace('Service', ns)) {
      const selector = stringMap(get(svc, 'spec', 'selector'));
      if (Object.keys(selector).length === 0) continue;
      const type = get(svc, 'spec', 'type');
      if (type === 'NodePort' || type === 'LoadBalancer') {
        out.push({ selector, ids: [objectId(svc)] });
        continue;
      }
      const ings = ingressTargets.get(svc.metadata.name);
      if (ings) out.push({ selector, ids: [objectId(svc), ...ings.map(objectId)] });
    }
    return out;
  });
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
      for (const { selector, ids } of exposingServices(ctx.index, ns)) {
        if (mapSelectorMatches(selector, wl.podLabels)) related.push(...ids);
      }
      return related.length > 0 ? [{ relatedResourcesIDs: related }] : [];
    }),
  ],
});
