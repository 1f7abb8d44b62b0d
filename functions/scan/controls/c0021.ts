import { defineControl } from '../engine/control.js';
import { arr, get, objectId, str } from '../engine/objects.js';
import { withRelated, workloadRule } from './_lib.js';
import { servicesOf } from './_exposure.js';

/** A LoadBalancer with an external address, or any NodePort Service, reaches the outside. */
function exposes(svc: Parameters<typeof objectId>[0]): boolean {
  const type = get(svc, 'spec', 'type');
  if (type === 'NodePort') return true;
  if (type !== 'LoadBalancer') return false;
  return arr(get(svc, 'status', 'loadBalancer', 'ingress')).some(
    (i) => !!(str(get(i, 'ip')) ?? str(get(i, 'hostname'))),
  );
}

/**
 * Exposed sensitive interfaces: a workload whose name contains a `sensitiveInterfaces` entry
 * (dashboards, Jenkins, Argo, model servers ...) is reachable through a NodePort Service or a
 * LoadBalancer with an external address. No paths: the Services are the related objects.
 */
export default defineControl({
  id: 'C-0021',
  category: 'Network',
  rules: [
    workloadRule(
      'exposed-sensitive-interfaces-v1',
      (wl, ctx) => {
        const name = wl.object.metadata.name;
        if (!(ctx.inputs.sensitiveInterfaces ?? []).some((s) => s && name.includes(s))) return [];
        const related = servicesOf(wl, ctx.index).filter(exposes);
        return related.length > 0 ? [withRelated(undefined, related.map(objectId))] : [];
      },
      { inputs: ['sensitiveInterfaces'] },
    ),
  ],
});
