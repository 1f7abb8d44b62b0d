import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.2.1: kube-apiserver `--anonymous-auth=false` (the default is true). */
export default componentFlagControl('C-0113', 'apiServer', flagEquals('anonymous-auth', 'false'));
