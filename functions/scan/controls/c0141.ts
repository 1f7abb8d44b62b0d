import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.26: kube-apiserver `--encryption-provider-config` set. */
export default componentFlagControl('C-0141', 'apiServer', flagsSet('encryption-provider-config'));
