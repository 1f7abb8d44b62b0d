import { componentFlagControl } from './_hostfacts.js';
import { listExcludes } from './_flags.js';

/** kube-apiserver: the DenyServiceExternalIPs admission plugin is not enabled (superseded by C-0283; in no framework). */
export default componentFlagControl(
  'C-0115',
  'apiServer',
  listExcludes('enable-admission-plugins', 'DenyServiceExternalIPs'),
);
