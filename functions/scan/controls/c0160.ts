import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 3.2.1: a minimal audit policy is in use (kube-apiserver `--audit-policy-file` set). Its content is not collected by node-agent. */
export default componentFlagControl('C-0160', 'apiServer', flagsSet('audit-policy-file'));
