import { componentFlagControl } from './_hostfacts.js';
import { listExcludes } from './_flags.js';

/** CIS 1.2.5: kube-apiserver `--authorization-mode` does not include AlwaysAllow (the default when unset). */
export default componentFlagControl(
  'C-0118',
  'apiServer',
  listExcludes('authorization-mode', 'AlwaysAllow', ['AlwaysAllow'], 'Node,RBAC'),
);
