import { componentFlagControl } from './_hostfacts.js';
import { flagNot } from './_flags.js';

/** CIS 2.6: etcd `--peer-auto-tls` is not true. */
export default componentFlagControl(
  'C-0158',
  'etcd',
  flagNot('peer-auto-tls', (v) => v.toLowerCase() === 'true', 'false'),
);
