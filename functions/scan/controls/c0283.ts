import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** CIS 1.2.x: the DenyServiceExternalIPs admission plugin is enabled. */
export default componentFlagControl(
  'C-0283',
  'apiServer',
  listIncludes('enable-admission-plugins', 'DenyServiceExternalIPs'),
);
