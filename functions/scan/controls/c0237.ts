import { defineIntegrationControl } from './_integration.js';
import { WL } from './_lib.js';

/** Check if signature exists: looking up a cosign signature needs registry access. */
export default defineIntegrationControl({
  id: 'C-0237',
  category: 'Supply chain',
  info: 'needs registry access to look up cosign signatures, which posture scans do not have',
  rules: [{ name: 'has-image-signature', kinds: WL }],
});
