import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.3.7: kube-controller-manager `--bind-address=127.0.0.1` (default 0.0.0.0). */
export default componentFlagControl('C-0150', 'controllerManager', flagEquals('bind-address', '127.0.0.1'));
