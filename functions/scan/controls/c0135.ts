import { componentFlagControl } from './_hostfacts.js';
import { flagNot } from './_flags.js';

/** CIS 1.2.20: kube-apiserver `--service-account-lookup` is not false (default true). */
export default componentFlagControl(
  'C-0135',
  'apiServer',
  flagNot('service-account-lookup', (v) => v.toLowerCase() !== 'true', 'true'),
);
