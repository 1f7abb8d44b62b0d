import { defineControl } from '../engine/control.js';
import { immutableFilesystemRule } from './_securitycontext.js';

/** Immutable container filesystem: readOnlyRootFilesystem: true on containers and initContainers. */
export default defineControl({ id: 'C-0017', category: 'Workload', rules: [immutableFilesystemRule] });
