import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.4: kube-apiserver `--kubelet-certificate-authority` set. */
export default componentFlagControl('C-0117', 'apiServer', flagsSet('kubelet-certificate-authority'));
