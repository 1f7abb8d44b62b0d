import { defineControl } from '../engine/control.js';
import type { ClusterIndex } from '../engine/cluster-index.js';
import { arr, get, objectId, str, strings } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';
import type { WorkloadView } from '../engine/workload.js';
import { withRelated, workloadRule } from './_lib.js';
import { servicesOf } from './_exposure.js';

const ROUTE_KINDS = ['HTTPRoute', 'TCPRoute', 'UDPRoute'];

/** Services (namespace/name) a Gateway API route sends traffic to. */
function routeBackends(route: KubeObject): string[] {
  const ns = route.metadata.namespace ?? 'default';
  const out: string[] = [];
  for (const rule of arr(get(route, 'spec', 'rules')))
    for (const ref of arr(get(rule, 'backendRefs'))) {
      const kind = str(get(ref, 'kind')) ?? 'Service';
      const name = str(get(ref, 'name'));
      if (kind === 'Service' && name) out.push(`${str(get(ref, 'namespace')) ?? ns}/${name}`);
    }
  return out;
}

/** Services (namespace/name) an Istio VirtualService bound to a Gateway (not only `mesh`) routes to. */
function virtualServiceBackends(vs: KubeObject): string[] {
  const gateways = strings(get(vs, 'spec', 'gateways'));
  if (!gateways.some((g) => g !== 'mesh')) return [];
  const ns = vs.metadata.namespace ?? 'default';
  const out: string[] = [];
  for (const section of ['http', 'tcp', 'tls'])
    for (const r of arr(get(vs, 'spec', section)))
      for (const d of arr(get(r, 'route'))) {
        const host = str(get(d, 'destination', 'host'));
        if (!host) continue;
        // `svc`, `svc.ns`, `svc.ns.svc.cluster.local`
        const [name, hostNs] = host.split('.');
        out.push(`${hostNs ?? ns}/${name}`);
      }
  return out;
}

/** Routes per backend Service key, computed once per scan. */
function routesByService(index: ClusterIndex, rule: 'gateway' | 'istio'): Map<string, KubeObject[]> {
  return index.memo(`C-0266/${rule}`, () => {
    const map = new Map<string, KubeObject[]>();
    const add = (key: string, o: KubeObject) => map.set(key, [...(map.get(key) ?? []), o]);
    if (rule === 'gateway') {
      for (const k of ROUTE_KINDS)
        for (const r of index.ofKind(k)) for (const key of routeBackends(r)) add(key, r);
    } else {
      for (const vs of index.ofKind('VirtualService'))
        for (const key of virtualServiceBackends(vs)) add(key, vs);
    }
    return map;
  });
}

function exposure(wl: WorkloadView, index: ClusterIndex, rule: 'gateway' | 'istio') {
  const routes = routesByService(index, rule);
  if (routes.size === 0) return [];
  const related: string[] = [];
  for (const svc of servicesOf(wl, index)) {
    const via = routes.get(`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`);
    if (via) related.push(...via.map(objectId), objectId(svc));
  }
  return related.length > 0 ? [withRelated(undefined, [...new Set(related)])] : [];
}

/**
 * Exposure to internet via Gateway API or Istio ingress: the workload is reachable through an
 * HTTPRoute/TCPRoute/UDPRoute, or an Istio VirtualService bound to a Gateway, targeting a Service
 * that selects its pods. No paths: the routes and Services are the related objects.
 */
export default defineControl({
  id: 'C-0266',
  category: 'Network',
  rules: [
    workloadRule('exposure-to-internet-via-gateway-api', (wl, ctx) => exposure(wl, ctx.index, 'gateway')),
    workloadRule('exposure-to-internet-via-istio-ingress', (wl, ctx) => exposure(wl, ctx.index, 'istio')),
  ],
});
