import { defineControl } from '../engine/control.js';
import { nonRootRule } from './_securitycontext.js';

/** Non-root containers: runAsNonRoot true or a non-zero runAsUser, and a non-zero runAsGroup. */
export default defineControl({ id: 'C-0013', category: 'Workload', rules: [nonRootRule] });
