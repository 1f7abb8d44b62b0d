import { componentFlagControl } from './_hostfacts.js';
import { findFlag, listIncludes } from './_flags.js';

/**
 * kube-apiserver enables SecurityContextDeny unless PodSecurityPolicy is in use (older CIS 1.2.12;
 * in no current framework: both plugins are gone from recent Kubernetes).
 */
export default componentFlagControl('C-0124', 'apiServer', (args) => {
  const plugins = (findFlag(args.argv, 'enable-admission-plugins')?.value ?? '')
    .split(',')
    .map((p) => p.trim());
  if (plugins.includes('SecurityContextDeny') || plugins.includes('PodSecurityPolicy')) return [];
  return listIncludes('enable-admission-plugins', 'SecurityContextDeny')(args);
});
