import { at, indexed } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS } from '../engine/workload.js';
import { review, workloadRule } from './_lib.js';

/** Prefer secrets as files: env valueFrom.secretKeyRef or envFrom[].secretRef. */
export default defineControl({
  id: 'C-0207',
  category: 'Secrets',
  rules: [
    workloadRule('rule-secrets-in-env-var', (wl) => {
      const out: Finding[] = [];
      for (const c of containersOf(wl, MAIN_CONTAINERS)) {
        const env = Array.isArray(c.container.env) ? c.container.env : [];
        for (let j = 0; j < env.length; j++) {
          if (env[j]?.valueFrom?.secretKeyRef) out.push(review(at(indexed(at(c.path, '.env'), j), '.name')));
        }
        const envFrom = Array.isArray(c.container.envFrom) ? c.container.envFrom : [];
        for (let j = 0; j < envFrom.length; j++) {
          if (envFrom[j]?.secretRef) out.push(review(at(indexed(at(c.path, '.envFrom'), j), '.secretRef')));
        }
      }
      return out;
    }),
  ],
});
