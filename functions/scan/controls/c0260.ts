import { defineControl } from '../engine/control.js';
import { workloadWithoutNetpolRule } from './_netpol.js';

/** Missing network policy: no NetworkPolicy/CiliumNetworkPolicy selects the workload's pods. */
export default defineControl({ id: 'C-0260', category: 'Network', rules: [workloadWithoutNetpolRule] });
