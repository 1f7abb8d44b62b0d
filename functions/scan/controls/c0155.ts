import { componentFlagControl } from './_hostfacts.js';
import { flagNot } from './_flags.js';

/** CIS 2.3: etcd `--auto-tls` is not true. */
export default componentFlagControl(
  'C-0155',
  'etcd',
  flagNot('auto-tls', (v) => v.toLowerCase() === 'true', 'false'),
);
