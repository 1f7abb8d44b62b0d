import { defineControl } from '../engine/control.js';
import { privilegedContainerRule } from './_securitycontext.js';

/** Privileged container: privileged: true or SYS_ADMIN added. */
export default defineControl({ id: 'C-0057', category: 'Node escape', rules: [privilegedContainerRule] });
