import { componentFlagControl } from './_hostfacts.js';
import { flagAtLeast } from './_flags.js';

/** CIS 1.2.16: kube-apiserver `--audit-log-maxage` ≥ 30. */
export default componentFlagControl('C-0131', 'apiServer', flagAtLeast('audit-log-maxage', 30));
