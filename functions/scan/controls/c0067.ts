import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** Audit logs enabled: kube-apiserver `--audit-policy-file` set (native variant). */
export default componentFlagControl('C-0067', 'apiServer', flagsSet('audit-policy-file'));
