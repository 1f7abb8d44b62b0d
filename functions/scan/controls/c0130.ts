import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.15: kube-apiserver `--audit-log-path` set. */
export default componentFlagControl('C-0130', 'apiServer', flagsSet('audit-log-path'));
