import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.25: kube-apiserver `--etcd-cafile` set. */
export default componentFlagControl('C-0140', 'apiServer', flagsSet('etcd-cafile'));
