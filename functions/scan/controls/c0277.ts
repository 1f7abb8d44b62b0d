import { componentFlagControl } from './_hostfacts.js';
import { strongCiphers } from './_flags.js';

/** CIS 1.2.29: kube-apiserver `--tls-cipher-suites` set to strong ciphers only. */
export default componentFlagControl('C-0277', 'apiServer', strongCiphers);
