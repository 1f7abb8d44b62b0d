import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** CIS 1.2.7: kube-apiserver `--authorization-mode` includes RBAC. */
export default componentFlagControl(
  'C-0120',
  'apiServer',
  listIncludes('authorization-mode', 'RBAC', ['AlwaysAllow']),
);
