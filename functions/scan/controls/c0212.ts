import { defineControl } from '../engine/control.js';
import { WL } from './_lib.js';
import { inDefaultNamespaceRule } from './_namespace.js';

const KIND_RULES: readonly [string, string][] = [
  ['rolebinding-in-default-namespace', 'RoleBinding'],
  ['role-in-default-namespace', 'Role'],
  ['configmap-in-default-namespace', 'ConfigMap'],
  ['endpoints-in-default-namespace', 'Endpoints'],
  ['persistentvolumeclaim-in-default-namespace', 'PersistentVolumeClaim'],
  ['podtemplate-in-default-namespace', 'PodTemplate'],
  ['replicationcontroller-in-default-namespace', 'ReplicationController'],
  ['service-in-default-namespace', 'Service'],
  ['serviceaccount-in-default-namespace', 'ServiceAccount'],
  ['endpointslice-in-default-namespace', 'EndpointSlice'],
  ['horizontalpodautoscaler-in-default-namespace', 'HorizontalPodAutoscaler'],
  ['lease-in-default-namespace', 'Lease'],
  ['csistoragecapacity-in-default-namespace', 'CSIStorageCapacity'],
  ['ingress-in-default-namespace', 'Ingress'],
  ['poddisruptionbudget-in-default-namespace', 'PodDisruptionBudget'],
];

/** The default namespace should not be used: 23 namespaced kinds, one rule per kind family. */
export default defineControl({
  id: 'C-0212',
  category: 'Workload',
  rules: [
    inDefaultNamespaceRule('pods-in-default-namespace', WL),
    ...KIND_RULES.map(([name, kind]) => inDefaultNamespaceRule(name, [kind])),
    inDefaultNamespaceRule('resources-secret-in-default-namespace', ['Secret']),
  ],
});
