import { componentFlagControl } from './_hostfacts.js';
import { flagUnset } from './_flags.js';

/** CIS 1.2.2: kube-apiserver `--token-auth-file` is not set. */
export default componentFlagControl('C-0114', 'apiServer', flagUnset('token-auth-file'));
