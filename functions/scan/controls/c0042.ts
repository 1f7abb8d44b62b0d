import { defineControl } from '../engine/control.js';
import { arr, get, objectId } from '../engine/objects.js';
import type { ClusterIndex } from '../engine/cluster-index.js';
import type { KubeObject } from '../engine/types.js';
import { withRelated, workloadRule } from './_lib.js';
import { servicesOf } from './_exposure.js';

const SSH_PORTS = new Set(['22', '2222']);

function sshPort(svc: KubeObject): boolean {
  return arr(get(svc, 'spec', 'ports')).some(
    (p) => SSH_PORTS.has(String(get(p, 'port'))) || SSH_PORTS.has(String(get(p, 'targetPort'))),
  );
}

/** The Services selecting the pods that expose SSH. */
function sshServices(index: ClusterIndex, services: readonly KubeObject[]): KubeObject[] | undefined {
  // A Service selects many workloads: decided once per Service and scan.
  const known = index.memo('c0042:ssh-services', () => new WeakMap<KubeObject, boolean>());
  let out: KubeObject[] | undefined;
  for (let k = 0; k < services.length; k++) {
    const svc = services[k] as KubeObject;
    let ssh = known.get(svc);
    if (ssh === undefined) known.set(svc, (ssh = sshPort(svc)));
    if (ssh) (out ??= []).push(svc);
  }
  return out;
}

/** SSH server running inside container: a Service selecting the pods exposes port or targetPort 22/2222. */
export default defineControl({
  id: 'C-0042',
  category: 'Network',
  rules: [
    workloadRule('rule-can-ssh-to-pod-v1', (wl, ctx) => {
      const related = sshServices(ctx.index, servicesOf(wl, ctx.index));
      return related ? [withRelated(undefined, related.map(objectId))] : [];
    }),
  ],
});
