import { defineControl } from '../engine/control.js';
import { get, str } from '../engine/objects.js';
import { objectRule, review } from './_lib.js';

const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/** Dangling HPA target: scaleTargetRef names a Deployment/StatefulSet/ReplicaSet/RC that does not exist. */
export default defineControl({
  id: 'C-0300',
  category: 'Resource management',
  rules: [
    objectRule('hpa-has-target', ['HorizontalPodAutoscaler'], (hpa, ctx) => {
      const kind = str(get(hpa, 'spec', 'scaleTargetRef', 'kind'));
      const name = str(get(hpa, 'spec', 'scaleTargetRef', 'name'));
      if (!kind || !name || !SCALABLE.has(kind)) return [];
      return ctx.index.find(kind, hpa.metadata.namespace ?? 'default', name)
        ? []
        : [review('spec.scaleTargetRef.name')];
    }),
  ],
});
