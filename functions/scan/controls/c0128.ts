import { componentFlagControl } from './_hostfacts.js';
import { flagNot } from './_flags.js';

/** kube-apiserver `--secure-port` is not 0 (in no framework). */
export default componentFlagControl(
  'C-0128',
  'apiServer',
  flagNot('secure-port', (v) => v === '0', '6443'),
);
