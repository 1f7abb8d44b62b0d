import { defineIntegrationControl } from './_integration.js';
import { externallyExposed } from './_exposure.js';

/** Workloads with RCE vulnerabilities exposed to external traffic (needs image-scan data; see C-0083). */
export default defineIntegrationControl({
  id: 'C-0084',
  category: 'Workload',
  info: 'needs image vulnerability data (Kubescape ImageVulnerabilities integration), not read by posture scans',
  rules: [
    {
      name: 'exposed-rce-pods',
      kinds: ['Pod'],
      relevant: (r, ctx) => externallyExposed(r.object, ctx.index).length > 0,
    },
  ],
});
