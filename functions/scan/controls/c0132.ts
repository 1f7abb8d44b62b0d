import { componentFlagControl } from './_hostfacts.js';
import { flagAtLeast } from './_flags.js';

/** CIS 1.2.17: kube-apiserver `--audit-log-maxbackup` ≥ 10. */
export default componentFlagControl('C-0132', 'apiServer', flagAtLeast('audit-log-maxbackup', 10));
