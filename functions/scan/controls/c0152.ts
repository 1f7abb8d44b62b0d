import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.4.2: kube-scheduler `--bind-address=127.0.0.1` (default 0.0.0.0). */
export default componentFlagControl('C-0152', 'scheduler', flagEquals('bind-address', '127.0.0.1'));
