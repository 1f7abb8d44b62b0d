import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 2.1: etcd `--cert-file` and `--key-file` set. */
export default componentFlagControl('C-0153', 'etcd', flagsSet('cert-file', 'key-file'));
