import { manualControl } from './_manual.js';

/** CIS 3.1.1: users should not authenticate with client certificates (they cannot be revoked). */
export default manualControl('C-0286', 'Access control');
