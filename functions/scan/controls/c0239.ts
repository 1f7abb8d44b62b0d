import { defineControl } from '../engine/control.js';
import { defaultSaBindingsRule } from './_default-sa.js';
import { onProvider } from './_provider.js';

/** CIS AKS 4.1.5 dedicated service accounts: no (Cluster)RoleBinding grants a role to a `default` ServiceAccount. */
export default defineControl({
  id: 'C-0239',
  category: 'Access control',
  rules: [onProvider('aks', defaultSaBindingsRule)],
});
