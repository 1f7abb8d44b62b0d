import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.4.1: kube-scheduler `--profiling=false`. */
export default componentFlagControl('C-0151', 'scheduler', flagEquals('profiling', 'false'));
