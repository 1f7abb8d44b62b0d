import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** CIS 1.2.8: the EventRateLimit admission plugin is enabled. */
export default componentFlagControl(
  'C-0121',
  'apiServer',
  listIncludes('enable-admission-plugins', 'EventRateLimit'),
);
