import { defineIntegrationControl } from './_integration.js';

/** Workloads with excessive amount of vulnerabilities (more Critical/High CVEs than configured): needs image-scan data. */
export default defineIntegrationControl({
  id: 'C-0085',
  category: 'Workload',
  info: 'needs image vulnerability data (Kubescape ImageVulnerabilities integration), not read by posture scans',
  inputs: ['max_critical_vulnerabilities', 'max_high_vulnerabilities'],
  rules: [{ name: 'excessive_amount_of_vulnerabilities_pods', kinds: ['Pod'] }],
});
