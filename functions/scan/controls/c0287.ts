import { manualControl } from './_manual.js';

/** CIS 3.1.2: users should not authenticate with service account tokens. */
export default manualControl('C-0287', 'Access control');
