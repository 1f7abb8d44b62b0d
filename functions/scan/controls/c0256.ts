import { defineControl } from '../engine/control.js';
import { arr, get, objectId, rec, str } from '../engine/objects.js';
import type { ClusterIndex } from '../engine/cluster-index.js';
import type { KubeObject } from '../engine/types.js';
import { withRelated, workloadRule } from './_lib.js';
import { servicesOf } from './_exposure.js';

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

/**
 * Per namespace: Service → IDs it exposes the pods with (the Service and, for ClusterIP services,
 * the Ingresses routing to it); NodePort/LoadBalancer services and Ingress backends only.
 */
function exposingServices(index: ClusterIndex, ns: string): Map<KubeObject, string[]> {
  const all = index.memo('C-0256/exposing', () => new Map<string, Map<KubeObject, string[]>>());
  let out = all.get(ns);
  if (out) return out;
  const ingressTargets = new Map<string, KubeObject[]>();
  for (const ing of index.inNamespace('Ingress', ns)) {
    for (const name of ingressBackends(ing)) {
      const list = ingressTargets.get(name) ?? [];
      list.push(ing);
      ingressTargets.set(name, list);
    }
  }
  out = new Map();
  for (const svc of index.inNamespace('Service', ns)) {
    const type = get(svc, 'spec', 'type');
    if (type === 'NodePort' || type === 'LoadBalancer') {
      out.set(svc, [objectId(svc)]);
      continue;
    }
    const ings = ingressTargets.get(svc.metadata.name);
    if (ings) out.set(svc, [objectId(svc), ...ings.map(objectId)]);
  }
  all.set(ns, out);
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
      const exposing = exposingServices(ctx.index, ns);
      const related: string[] = [];
      if (exposing.size === 0) return [];
      // Services with an empty selector select nothing: servicesSelecting leaves them out.
      for (const svc of servicesOf(wl, ctx.index)) {
        const ids = exposing.get(svc);
        if (ids) related.push(...ids);
      }
      return related.length > 0 ? [withRelated(undefined, related)] : [];
    }),
  ],
});
