import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 2.2: etcd `--client-cert-auth=true`. */
export default componentFlagControl('C-0154', 'etcd', flagEquals('client-cert-auth', 'true'));
