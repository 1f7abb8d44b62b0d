import { defineIntegrationControl } from './_integration.js';
import { WL } from './_lib.js';

/** Verify image signature: cosign verification against trustedCosignPublicKeys needs registry access. */
export default defineIntegrationControl({
  id: 'C-0236',
  category: 'Supply chain',
  info: 'needs registry access to verify cosign signatures, which posture scans do not have',
  inputs: ['trustedCosignPublicKeys'],
  rules: [{ name: 'verify-image-signature', kinds: WL }],
});
