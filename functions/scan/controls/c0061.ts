import { defineControl } from '../engine/control.js';
import { WL } from './_lib.js';
import { inDefaultNamespaceRule } from './_namespace.js';

/** Pods in default namespace: workloads whose namespace is `default` or unset. */
export default defineControl({
  id: 'C-0061',
  category: 'Workload',
  rules: [inDefaultNamespaceRule('pods-in-default-namespace', WL)],
});
