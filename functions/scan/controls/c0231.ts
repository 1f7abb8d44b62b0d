import { defineControl } from '../engine/control.js';
import { annotationsOf, arr, get } from '../engine/objects.js';
import { fix, objectRule } from './_lib.js';
import { onProvider } from './_provider.js';

const SSL_CERT = 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert';

/** CIS EKS 5.5.1: a LoadBalancer Service serving 443 terminates TLS with an ACM certificate (ssl-cert annotation). */
export default defineControl({
  id: 'C-0231',
  category: 'Network',
  rules: [
    onProvider(
      'eks',
      objectRule(
        'ensure-https-loadbalancers-encrypted-with-tls-aws',
        ['Service'],
        (svc) =>
          Object.keys(annotationsOf(svc)).some((k) => k.startsWith(SSL_CERT))
            ? []
            : [fix(`metadata.annotations['${SSL_CERT}']`, 'YOUR_VALUE')],
        {
          relevant: (r) =>
            get(r.object, 'spec', 'type') === 'LoadBalancer' &&
            arr(get(r.object, 'spec', 'ports')).some((p) => get(p, 'port') === 443),
        },
      ),
    ),
  ],
});
