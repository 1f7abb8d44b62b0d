import { componentFlagControl } from './_hostfacts.js';
import { flagNot } from './_flags.js';

/** kube-apiserver serves an insecure (HTTP) port: `--insecure-port` set to anything but 0. */
export default componentFlagControl(
  'C-0005',
  'apiServer',
  flagNot('insecure-port', (v) => v !== '0', '0'),
);
