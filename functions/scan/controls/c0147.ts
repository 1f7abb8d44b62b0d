import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.3.4: kube-controller-manager `--service-account-private-key-file` set. */
export default componentFlagControl(
  'C-0147',
  'controllerManager',
  flagsSet('service-account-private-key-file'),
);
