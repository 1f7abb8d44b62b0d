import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.23: kube-apiserver `--tls-cert-file` and `--tls-private-key-file` set. */
export default componentFlagControl('C-0138', 'apiServer', flagsSet('tls-cert-file', 'tls-private-key-file'));
