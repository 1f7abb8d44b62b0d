import { componentFlagControl } from './_hostfacts.js';
import { flagEquals } from './_flags.js';

/** CIS 2.5: etcd `--peer-client-cert-auth=true`. */
export default componentFlagControl('C-0157', 'etcd', flagEquals('peer-client-cert-auth', 'true'));
