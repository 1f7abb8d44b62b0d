import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.3.1: kube-controller-manager `--terminated-pod-gc-threshold` set. */
export default componentFlagControl('C-0144', 'controllerManager', flagsSet('terminated-pod-gc-threshold'));
