import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** CIS 1.2.10: the AlwaysPullImages admission plugin is enabled. */
export default componentFlagControl(
  'C-0123',
  'apiServer',
  listIncludes('enable-admission-plugins', 'AlwaysPullImages'),
);
