import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS v1.12 1.2.x: kube-apiserver `--service-account-extend-token-expiration=false` (default true). */
export default componentFlagControl(
  'C-0290',
  'apiServer',
  flagEquals('service-account-extend-token-expiration', 'false'),
);
