import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** CIS 1.2.6: kube-apiserver `--authorization-mode` includes Node. */
export default componentFlagControl(
  'C-0119',
  'apiServer',
  listIncludes('authorization-mode', 'Node', ['AlwaysAllow']),
);
