import { componentFlagControl } from './_hostfacts.js';
import { listExcludes } from './_flags.js';

/** CIS 1.2.12: the NamespaceLifecycle admission plugin (on by default) is not disabled. */
export default componentFlagControl(
  'C-0126',
  'apiServer',
  listExcludes('disable-admission-plugins', 'NamespaceLifecycle'),
);
