import { describe, expect, it } from 'vitest';
import { LABELS } from '../../../lib/api/index.js';
import { scanResources, type KubeObject } from '../index.js';
import { buildResults } from './build.js';
import { staleResults } from './gc.js';
import type { StoredRef } from './writer.js';

const opts = { operatorNamespace: 'kubescape', clusterName: 'c1', scanId: 's1' };

const sa = (ns: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: ns },
});
const clusterRole = (name: string, rules: unknown[]): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
const crb = (name: string, role: string, subjects: unknown[]): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects,
});

const objects: KubeObject[] = [
  sa('ci', 'deployer'),
  clusterRole('admin-all', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
  clusterRole('viewer', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]),
  crb('deployer-admin', 'admin-all', [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }]),
  crb('deployer-view', 'viewer', [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }]),
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        spec: {
          serviceAccountName: 'deployer',
          containers: [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }],
        },
      },
    },
  },
];

describe('buildResults', () => {
  const report = scanResources(objects, { controls: ['C-0035', 'C-0057', 'C-0034'], now: new Date(0) });
  const entries = buildResults(report, objects, opts);
  const find = (ns: string, name: string) => entries.find((e) => e.namespace === ns && e.name === name);

  it('one result per RBAC triplet: a failure lands only on the (binding, role) pair that causes it', () => {
    const admin = find(
      'kubescape',
      'serviceaccount-deployer-clusterrole-admin-all-clusterrolebinding-deployer-admin',
    );
    const view = find(
      'kubescape',
      'serviceaccount-deployer-clusterrole-viewer-clusterrolebinding-deployer-view',
    );
    expect(admin?.scan.spec.controls['C-0035']?.status?.status).toBe('failed');
    expect(view?.scan.spec.controls['C-0035']?.status?.status).toBe('passed');
    // Paths are re-indexed to the triplet's own relatedObjects: [0] binding, [1] role.
    const paths = JSON.stringify(admin?.scan.spec.controls['C-0035']?.rules);
    expect(paths).toMatch(/relatedObjects\[[01]\]/);
    expect(paths).not.toMatch(/relatedObjects\[[2-9]\]/);
    expect(admin?.scan.metadata.labels).toMatchObject({
      [LABELS.rbacResource]: 'true',
      [LABELS.clusterRoleName]: 'admin-all',
      [LABELS.clusterRoleBindingName]: 'deployer-admin',
      [LABELS.workloadKind]: 'ServiceAccount',
      [LABELS.workloadNamespace]: 'ci',
    });
    expect(admin?.scan.spec.relatedObjects?.map((r) => r.kind)).toEqual([
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
  });

  it('the ServiceAccount object keeps its own controls in its namespace; subject controls are not duplicated there', () => {
    const own = find('ci', 'serviceaccount-deployer');
    expect(own).toBeDefined();
    expect(Object.keys(own!.scan.spec.controls)).toContain('C-0034');
    expect(Object.keys(own!.scan.spec.controls)).not.toContain('C-0035');
  });

  it('summaries bucket failed controls by severity; statuses and names are deterministic', () => {
    const web = find('shop', 'deployment-web');
    expect(web?.scan.spec.controls['C-0057']?.status?.status).toBe('failed');
    expect(web?.summary.spec.severities).toMatchObject({ high: 1 });
    expect(web?.summary.metadata).toEqual(web?.scan.metadata);
    const again = buildResults(
      scanResources(objects, { controls: ['C-0035', 'C-0057', 'C-0034'], now: new Date(1e12) }),
      objects,
      opts,
    );
    expect(JSON.stringify(again)).toBe(JSON.stringify(entries));
  });
});

describe('staleResults', () => {
  const stored: StoredRef[] = [
    {
      namespace: 'shop',
      name: 'deployment-web',
      labels: { [LABELS.workloadKind]: 'Deployment', [LABELS.workloadNamespace]: 'shop' },
      annotations: {},
    },
    {
      namespace: 'shop',
      name: 'deployment-gone',
      labels: { [LABELS.workloadKind]: 'Deployment', [LABELS.workloadNamespace]: 'shop' },
      annotations: {},
    },
    {
      namespace: 'kube-system',
      name: 'deployment-dns',
      labels: { [LABELS.workloadKind]: 'Deployment', [LABELS.workloadNamespace]: 'kube-system' },
      annotations: {},
    },
    {
      namespace: 'shop',
      name: 'widget-x',
      labels: { [LABELS.workloadKind]: 'Widget', [LABELS.workloadNamespace]: 'shop' },
      annotations: {},
    },
    {
      namespace: 'kubescape',
      name: 'serviceaccount-deployer-clusterrole-gone-clusterrolebinding-gone',
      labels: { [LABELS.workloadKind]: 'ServiceAccount', [LABELS.rbacResource]: 'true' },
      annotations: {},
    },
    {
      namespace: 'kubescape',
      name: 'serviceaccount-deployer-clusterrole-viewer-clusterrolebinding-deployer-view',
      labels: { [LABELS.workloadKind]: 'ServiceAccount', [LABELS.rbacResource]: 'true' },
      annotations: {},
    },
  ];
  it('deletes only results of gone resources within the scan reach', () => {
    const stale = staleResults(stored, {
      objects,
      listedKinds: [
        'Deployment',
        'ServiceAccount',
        'Role',
        'ClusterRole',
        'RoleBinding',
        'ClusterRoleBinding',
      ],
      namespaces: { include: [], exclude: ['kube-system'] },
      operatorNamespace: 'kubescape',
    }).map((s) => s.name);
    expect(stale.sort()).toEqual([
      'deployment-gone',
      'serviceaccount-deployer-clusterrole-gone-clusterrolebinding-gone',
    ]);
  });
  it('keeps everything of kinds that were not listed', () => {
    expect(
      staleResults(stored, {
        objects: [],
        listedKinds: ['Pod'],
        namespaces: { include: [], exclude: [] },
        operatorNamespace: 'kubescape',
      }),
    ).toEqual([]);
  });
});
