import { defineIntegrationControl } from './_integration.js';
import { externallyExposed } from './_exposure.js';

/**
 * Workloads with Critical vulnerabilities exposed to external traffic: Pods behind a NodePort or
 * LoadBalancer Service. Kubescape needs ImageVulnerabilities (image-scan data) for the CVE side, which
 * posture scans do not read: exposed Pods are reported skipped/integration.
 */
export default defineIntegrationControl({
  id: 'C-0083',
  category: 'Workload',
  info: 'needs image vulnerability data (Kubescape ImageVulnerabilities integration), not read by posture scans',
  rules: [
    {
      name: 'exposed-critical-pods',
      kinds: ['Pod'],
      relevant: (r, ctx) => externallyExposed(r.object, ctx.index).length > 0,
    },
  ],
});
