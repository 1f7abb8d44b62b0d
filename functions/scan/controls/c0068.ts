import { componentFlagControl } from './_hostfacts.js';
import { listIncludes } from './_flags.js';

/** PSP enabled: the PodSecurityPolicy admission plugin is enabled on kube-apiserver (native variant). */
export default componentFlagControl(
  'C-0068',
  'apiServer',
  listIncludes('enable-admission-plugins', 'PodSecurityPolicy'),
);
