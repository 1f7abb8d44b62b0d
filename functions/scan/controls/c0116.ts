import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.3: kube-apiserver `--kubelet-client-certificate` and `--kubelet-client-key` set. */
export default componentFlagControl(
  'C-0116',
  'apiServer',
  flagsSet('kubelet-client-certificate', 'kubelet-client-key'),
);
