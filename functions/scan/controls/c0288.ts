import { manualControl } from './_manual.js';

/** CIS 3.1.3: users should not authenticate with bootstrap tokens. */
export default manualControl('C-0288', 'Access control');
