import { componentFlagControl } from './_hostfacts.js';
import { listExcludes } from './_flags.js';

/** CIS 1.2.11: the ServiceAccount admission plugin (on by default) is not disabled. */
export default componentFlagControl(
  'C-0125',
  'apiServer',
  listExcludes('disable-admission-plugins', 'ServiceAccount'),
);
