import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** CIS 1.2.13: the NodeRestriction admission plugin is enabled. */
export default componentFlagControl(
  'C-0127',
  'apiServer',
  listIncludes('enable-admission-plugins', 'NodeRestriction'),
);
