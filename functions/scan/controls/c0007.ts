import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

/** Roles with delete capabilities on workloads, services and secrets. */
export default defineControl({
  id: 'C-0007',
  category: 'Access control',
  rules: [
    rbacRule('rule-excessive-delete-rights-v1', {
      verbs: ['delete', 'deletecollection', '*'],
      apiGroups: ['', '*', 'apps', 'batch'],
      resources: [
        'secrets',
        'pods',
        'services',
        'deployments',
        'replicasets',
        'daemonsets',
        'statefulsets',
        'jobs',
        'cronjobs',
        '*',
      ],
    }),
  ],
});
