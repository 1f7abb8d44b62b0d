import { manualControl } from './_manual.js';

/** CIS 5.5.1: image provenance through the ImagePolicyWebhook admission controller. */
export default manualControl('C-0289', 'Supply chain');
