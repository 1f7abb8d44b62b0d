import { componentFlagControl } from './_hostfacts.js';
import { flagAtLeast } from './_flags.js';

/** CIS 1.2.18: kube-apiserver `--audit-log-maxsize` ≥ 100 (MB). */
export default componentFlagControl('C-0133', 'apiServer', flagAtLeast('audit-log-maxsize', 100));
