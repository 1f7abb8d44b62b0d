import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** CIS 1.2.22: kube-apiserver `--etcd-certfile` and `--etcd-keyfile` set. */
export default componentFlagControl('C-0137', 'apiServer', flagsSet('etcd-certfile', 'etcd-keyfile'));
