import { manualControl } from './_manual.js';

/** CIS 5.1.7: nobody should be in the system:masters group (it bypasses RBAC); only reviewable by hand. */
export default manualControl('C-0246', 'Access control');
