/** ensure-default-service-accounts-has-only-default-roles (C-0225, C-0239): bindings granting roles to a `default` ServiceAccount. */
import { arr, get, labelsOf, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { objectRule, remove } from './_lib.js';

export const defaultSaBindingsRule = objectRule(
  'ensure-default-service-accounts-has-only-default-roles',
  ['RoleBinding', 'ClusterRoleBinding'],
  (b): Finding[] => {
    // Kubernetes' own bootstrap bindings are the "default roles".
    if (labelsOf(b)['kubernetes.io/bootstrapping'] === 'rbac-defaults') return [];
    const paths: string[] = [];
    arr(get(b, 'subjects')).forEach((s, j) => {
      if (str(get(s, 'kind')) === 'ServiceAccount' && str(get(s, 'name')) === 'default')
        paths.push(`subjects[${j}]`);
    });
    return paths.length > 0 ? [remove(...paths)] : [];
  },
);
