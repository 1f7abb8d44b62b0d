import { defineControl } from '../engine/control.js';
import { annotationsOf, get } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { fix, objectRule } from './_lib.js';
import { onProvider } from './_provider.js';

const INTERNAL = 'service.beta.kubernetes.io/azure-load-balancer-internal';

/** CIS AKS 5.4.x: LoadBalancer Services are internal (TLS terminates at an ingress), and Ingresses serve TLS. */
export default defineControl({
  id: 'C-0245',
  category: 'Network',
  rules: [
    onProvider(
      'aks',
      objectRule(
        'encrypt-traffic-to-https-load-balancers-with-tls-certificates',
        ['Service', 'Ingress'],
        (o): Finding[] => {
          if (o.kind === 'Ingress')
            return get(o, 'spec', 'tls') === undefined ? [fix('spec.tls', 'YOUR_VALUE')] : [];
          return annotationsOf(o)[INTERNAL] === 'true'
            ? []
            : [fix(`metadata.annotations['${INTERNAL}']`, 'true')];
        },
        { relevant: (r) => r.object.kind === 'Ingress' || get(r.object, 'spec', 'type') === 'LoadBalancer' },
      ),
    ),
  ],
});
