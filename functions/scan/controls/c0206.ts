import { defineControl } from '../engine/control.js';
import { namespaceWithoutNetpolRule } from './_netpol.js';

/** CIS 5.3.2 Ensure that all Namespaces have Network Policies defined: namespaces without any network policy (rule internal-networking). */
export default defineControl({ id: 'C-0206', category: 'Network', rules: [namespaceWithoutNetpolRule] });
