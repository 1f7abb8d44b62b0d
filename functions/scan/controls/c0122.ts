import { componentFlagControl } from './_hostfacts.js';
import { listExcludes } from './_flags.js';

/** CIS 1.2.9: the AlwaysAdmit admission plugin is not enabled. */
export default componentFlagControl(
  'C-0122',
  'apiServer',
  listExcludes('enable-admission-plugins', 'AlwaysAdmit'),
);
