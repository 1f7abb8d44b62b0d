import { componentFlagControl } from './_hostfacts.js';
import { flagsSet } from './_flags.js';

/** Secrets encrypted at rest in etcd: kube-apiserver `--encryption-provider-config` set (native variant; the cloud variants need provider APIs). */
export default componentFlagControl('C-0066', 'apiServer', flagsSet('encryption-provider-config'));
