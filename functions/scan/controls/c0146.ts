import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 1.3.3: kube-controller-manager `--use-service-account-credentials=true`. */
export default componentFlagControl(
  'C-0146',
  'controllerManager',
  flagEquals('use-service-account-credentials', 'true'),
);
