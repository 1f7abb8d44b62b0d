import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** RBAC enabled: kube-apiserver `--authorization-mode` includes RBAC (native variant). */
export default componentFlagControl(
  'C-0088',
  'apiServer',
  listIncludes('authorization-mode', 'RBAC', ['AlwaysAllow']),
);
