import { defineIntegrationControl } from './_integration.js';
import { WL } from './_lib.js';
import { servicesOf } from './_exposure.js';
import { workloadView } from '../engine/workload.js';

/**
 * Verify Authenticated Service: whether a Service answers unauthenticated comes from Kubescape's
 * network scanner (ServiceScanResult objects), which this project does not run: workloads behind a
 * Service are reported skipped/integration.
 */
export default defineIntegrationControl({
  id: 'C-0274',
  category: 'Network',
  info: "needs Kubescape's network-scanner results (ServiceScanResult), not produced by this project",
  rules: [
    {
      name: 'unauthenticated-service',
      kinds: WL,
      relevant: (r, ctx) => {
        const wl = r.workload ?? workloadView(r.object);
        return !!wl && servicesOf(wl, ctx.index).length > 0;
      },
    },
  ],
});
