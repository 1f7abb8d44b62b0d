import { defineControl } from '../engine/control.js';
import { arr, get, rec, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { objectRule, review } from './_lib.js';

/** Dangling Gateway API backend: a route backendRef (kind Service, the default) with no such Service. */
export default defineControl({
  id: 'C-0302',
  category: 'Network',
  rules: [
    objectRule('dangling-gateway-backend', ['HTTPRoute', 'TCPRoute', 'UDPRoute'], (route, ctx) => {
      const out: Finding[] = [];
      arr(get(route, 'spec', 'rules')).forEach((rule, i) =>
        arr(get(rule, 'backendRefs')).forEach((ref, j) => {
          const r = rec(ref);
          const kind = str(r?.kind) ?? 'Service';
          const name = str(r?.name);
          if (kind !== 'Service' || !name) return;
          const ns = str(r?.namespace) ?? route.metadata.namespace ?? 'default';
          if (!ctx.index.find('Service', ns, name))
            out.push(review(`spec.rules[${i}].backendRefs[${j}].name`));
        }),
      );
      return out;
    }),
  ],
});
