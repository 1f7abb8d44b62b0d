import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.24: kube-apiserver `--client-ca-file` set. */
export default componentFlagControl('C-0139', 'apiServer', flagsSet('client-ca-file'));
