import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.21: kube-apiserver `--service-account-key-file` set. */
export default componentFlagControl('C-0136', 'apiServer', flagsSet('service-account-key-file'));
