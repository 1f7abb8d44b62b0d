import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.3.5: kube-controller-manager `--root-ca-file` set. */
export default componentFlagControl('C-0148', 'controllerManager', flagsSet('root-ca-file'));
