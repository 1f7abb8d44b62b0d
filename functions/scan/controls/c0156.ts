import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 2.4: etcd `--peer-cert-file` and `--peer-key-file` set. */
export default componentFlagControl('C-0156', 'etcd', flagsSet('peer-cert-file', 'peer-key-file'));
