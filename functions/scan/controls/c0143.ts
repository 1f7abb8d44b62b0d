import { componentFlagControl } from './_hostfacts.js';
import { strongCiphers } from './_flags.js';

/** kube-apiserver `--tls-cipher-suites` lists strong ciphers only (older CIS numbering; C-0277 in CIS v1.10+). */
export default componentFlagControl('C-0143', 'apiServer', strongCiphers);
