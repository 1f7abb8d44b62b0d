import { defineControl } from '../engine/control.js';
import { namespaceWithoutNetpolRule } from './_netpol.js';

/** Cluster internal networking: namespaces without any network policy (rule internal-networking). */
export default defineControl({ id: 'C-0054', category: 'Network', rules: [namespaceWithoutNetpolRule] });
