import { defineControl } from '../engine/control.js';
import { rbacRule } from './_lib.js';

const TAKEOVER_RESOURCES = [
  '*',
  'pods',
  'pods/exec',
  'pods/attach',
  'pods/portforward',
  'deployments',
  'statefulset',
  'daemonset',
  'jobs',
  'cronjobs',
  'nodes',
  'secrets',
];

/** system:authenticated user has elevated roles: the group is bound to a role on takeover resources. */
export default defineControl({
  id: 'C-0265',
  category: 'Access control',
  rules: [
    rbacRule('system-authenticated-allowed-to-take-over-cluster', {
      verbs: [
        '*',
        'get',
        'list',
        'watch',
        'create',
        'update',
        'patch',
        'delete',
        'deletecollection',
        'bind',
        'escalate',
        'impersonate',
      ],
      apiGroups: ['', '*', 'apps', 'batch'],
      resources: TAKEOVER_RESOURCES,
      subject: (s) => s.kind === 'Group' && s.name === 'system:authenticated',
      report: ['resources'],
    }),
  ],
});
