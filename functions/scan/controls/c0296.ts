import { defineControl } from '../engine/control.js';
import { get, isRecord, mapSelectorMatches, selectorMatches, stringMap } from '../engine/objects.js';
import { objectRule, review } from './_lib.js';
import { workloadView } from '../engine/workload.js';

/** Mismatching selector: the controller's selector does not select its own pod template. */
export default defineControl({
  id: 'C-0296',
  category: 'Workload',
  rules: [
    objectRule(
      'mismatching-selector',
      ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob', 'ReplicationController'],
      (obj, _ctx, r) => {
        const wl = r.workload ?? workloadView(obj);
        if (!wl) return [];
        const base = obj.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec'] : ['spec'];
        const selector = get(obj, ...base, 'selector');
        if (!isRecord(selector)) return [];
        const ok =
          obj.kind === 'ReplicationController'
            ? mapSelectorMatches(stringMap(selector), wl.podLabels) || Object.keys(selector).length === 0
            : selectorMatches(selector, wl.podLabels);
        return ok ? [] : [review(`${base.join('.')}.selector`)];
      },
    ),
  ],
});
