import { defineControl } from '../engine/control.js';
import { ingressEgressBlockedRule } from './_netpol.js';

/** Ingress and Egress blocked: pods must be selected by a policy restricting ingress or egress. */
export default defineControl({ id: 'C-0030', category: 'Network', rules: [ingressEgressBlockedRule] });
