import { defineControl } from '../engine/control.js';
import { arr, get, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { objectRule, review } from './_lib.js';

/** Dangling Ingress backend: a backend Service that does not exist in the Ingress namespace. */
export default defineControl({
  id: 'C-0298',
  category: 'Network',
  rules: [
    objectRule('dangling-ingress-backend', ['Ingress'], (ing, ctx) => {
      const ns = ing.metadata.namespace ?? 'default';
      const out: Finding[] = [];
      const check = (backend: unknown, path: string) => {
        const name = str(get(backend, 'service', 'name'));
        if (name && !ctx.index.find('Service', ns, name)) out.push(review(`${path}.service.name`));
      };
      check(get(ing, 'spec', 'defaultBackend'), 'spec.defaultBackend');
      arr(get(ing, 'spec', 'rules')).forEach((rule, i) =>
        arr(get(rule, 'http', 'paths')).forEach((p, j) =>
          check(get(p, 'backend'), `spec.rules[${i}].http.paths[${j}].backend`),
        ),
      );
      return out;
    }),
  ],
});
