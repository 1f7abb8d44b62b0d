import { defineControl } from '../engine/control.js';
import { arr, get, objectId } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';
import { workloadRule } from './_lib.js';
import { servicesSelecting } from './_exposure.js';

const SSH_PORTS = new Set(['22', '2222']);

function sshPort(svc: KubeObject): boolean {
  return arr(get(svc, 'spec', 'ports')).some(
    (p) => SSH_PORTS.has(String(get(p, 'port'))) || SSH_PORTS.has(String(get(p, 'targetPort'))),
  );
}

/** SSH server running inside container: a Service selecting the pods exposes port or targetPort 22/2222. */
export default defineControl({
  id: 'C-0042',
  category: 'Network',
  rules: [
    workloadRule('rule-can-ssh-to-pod-v1', (wl, ctx) => {
      const related = servicesSelecting(ctx.index, wl.object.metadata.namespace, wl.podLabels).filter(
        sshPort,
      );
      return related.length > 0 ? [{ relatedResourcesIDs: related.map(objectId) }] : [];
    }),
  ],
});
