import { defineControl } from '../engine/control.js';
import { namespaceWithoutNetpolRule } from './_netpol.js';

/** Network mapping: namespaces without any network policy (rule internal-networking). */
export default defineControl({ id: 'C-0049', category: 'Network', rules: [namespaceWithoutNetpolRule] });
