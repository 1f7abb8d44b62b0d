import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.3.2: kube-controller-manager `--profiling=false`. */
export default componentFlagControl('C-0145', 'controllerManager', flagEquals('profiling', 'false'));
