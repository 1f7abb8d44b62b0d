import { componentFlagControl } from './_hostfacts.js';
import { featureGateNotFalse } from './_flags.js';

/** CIS 1.3.6: kube-controller-manager does not turn the RotateKubeletServerCertificate feature gate off (on by default). */
export default componentFlagControl(
  'C-0149',
  'controllerManager',
  featureGateNotFalse('RotateKubeletServerCertificate'),
);
