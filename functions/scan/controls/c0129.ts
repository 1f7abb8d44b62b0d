import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.2.14: kube-apiserver `--profiling=false` (the default is true). */
export default componentFlagControl('C-0129', 'apiServer', flagEquals('profiling', 'false'));
