import { describe, expect, it } from 'vitest';
import {
  bareContainer,
  clusterRole,
  clusterRoleBinding,
  cronJob,
  deployment,
  pod,
  role,
  roleBinding,
  saSubject,
  user,
  userId,
} from '../__fixtures__/k8s.js';
import immutable from '../controls/c0017.js';
import { ClusterIndex } from './cluster-index.js';
import {
  DEFAULT_CONTROL_INPUTS,
  ControlInputsError,
  controlInputsFromConfigMap,
  parseControlInputs,
} from './inputs.js';
import { objectId, resourceId, selectorMatches } from './objects.js';
import { cpuMillis, memoryBytes } from './quantity.js';
import type { KubeObject } from './types.js';
import { containersOf, workloadView } from './workload.js';
import { severityOf } from './control.js';

const spec = {
  containers: [bareContainer('a')],
  initContainers: [bareContainer('i')],
  ephemeralContainers: [bareContainer('e')],
};

function wrapped(kind: string, apiVersion: string, template: Record<string, unknown>): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'ns' }, spec: template };
}

describe('workload semantics', () => {
  const cases: [KubeObject, string][] = [
    [pod('x', spec, 'ns'), 'spec.'],
    [deployment('x', spec, 'ns'), 'spec.template.spec.'],
    [wrapped('StatefulSet', 'apps/v1', { template: { spec } }), 'spec.template.spec.'],
    [wrapped('DaemonSet', 'apps/v1', { template: { spec } }), 'spec.template.spec.'],
    [wrapped('ReplicaSet', 'apps/v1', { template: { spec } }), 'spec.template.spec.'],
    [wrapped('Job', 'batch/v1', { template: { spec } }), 'spec.template.spec.'],
    [cronJob('x', spec, 'ns'), 'spec.jobTemplate.spec.template.spec.'],
  ];
  for (const [obj, prefix] of cases) {
    it(`${obj.kind}: pod spec at ${prefix}`, () => {
      const wl = workloadView(obj);
      expect(wl?.prefix).toBe(prefix);
      expect(
        containersOf(wl!, ['containers', 'initContainers', 'ephemeralContainers']).map((c) => c.path),
      ).toEqual([`${prefix}containers[0]`, `${prefix}initContainers[0]`, `${prefix}ephemeralContainers[0]`]);
    });
  }

  it('C-0017 reports paths with the kind-specific prefix (CronJob)', () => {
    const obj = cronJob('x', { containers: [bareContainer('a')] }, 'ns');
    const index = new ClusterIndex([obj]);
    const [res] = [...index.resources()];
    const [rule] = immutable.evaluate(res!, { index, inputs: DEFAULT_CONTROL_INPUTS });
    expect(rule?.fixPaths).toEqual([
      {
        path: 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
        value: 'true',
      },
    ]);
  });

  it('non-workloads and malformed workloads have no view', () => {
    expect(workloadView({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })).toBeUndefined();
    expect(
      workloadView({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: 'oops' }),
    ).toBeUndefined();
  });
});

describe('ClusterIndex', () => {
  it('skips objects owned by an object of the scanned set, keeps orphans', () => {
    const d = deployment('web', { containers: [bareContainer()] }, 'ns');
    const rs = {
      ...wrapped('ReplicaSet', 'apps/v1', { template: { spec } }),
      metadata: {
        name: 'web-123',
        namespace: 'ns',
        uid: 'rs-uid',
        ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }],
      },
    };
    const p1 = pod('web-123-a', spec, 'ns', {
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-123', uid: 'rs-uid', controller: true }],
    });
    const p2 = pod('orphan', spec, 'ns', {
      ownerReferences: [{ kind: 'ReplicaSet', name: 'gone', uid: 'gone', controller: true }],
    });
    const index = new ClusterIndex([d, rs, p1, p2]);
    expect(index.scanned.map((o) => o.metadata.name)).toEqual(['web', 'orphan']);
    expect(index.ownedSkipped.map((o) => o.metadata.name)).toEqual(['web-123', 'web-123-a']);
  });

  it('merges the bindings of one subject into one vector, binding before role', () => {
    const objects = [
      clusterRole('a', []),
      role('b', 'ns', []),
      clusterRoleBinding('crb', 'a', [user('jane')]),
      roleBinding('rb', 'ns', { kind: 'Role', name: 'b' }, [user('jane'), saSubject('ci', 'ns')]),
      roleBinding('dangling', 'ns', { kind: 'Role', name: 'missing' }, [user('bob')]),
    ];
    const index = new ClusterIndex(objects);
    const subjects = index.subjects();
    expect(subjects.map((s) => `${s.kind}/${s.name}`)).toEqual(['User/jane', 'ServiceAccount/ci']);
    expect(subjects[0]!.relatedObjects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'RoleBinding/rb',
      'Role/b',
      'ClusterRoleBinding/crb',
      'ClusterRole/a',
    ]);
    expect(index.bindingsOfServiceAccount('ns', 'ci').map((p) => p.binding.metadata.name)).toEqual(['rb']);
    const ids = [...index.resources()].filter((r) => r.matchKind === 'Subject').map((r) => r.id);
    expect(ids).toEqual([userId('jane'), '/v1/ns/ServiceAccount/ci']);
  });
});

describe('ids and selectors', () => {
  it('resourceID = <group>/<version>/<namespace>/<kind>/<name>', () => {
    expect(resourceId('apps/v1', 'default', 'Deployment', 'nginx')).toBe('apps/v1/default/Deployment/nginx');
    expect(resourceId('v1', 'default', 'Pod', 'nginx')).toBe('/v1/default/Pod/nginx');
    expect(objectId(clusterRole('admin', []))).toBe('rbac.authorization.k8s.io/v1//ClusterRole/admin');
  });
  it('label selectors', () => {
    expect(selectorMatches({}, { a: '1' })).toBe(true);
    expect(selectorMatches({ matchLabels: { a: '1' } }, { a: '2' })).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['2'] }] }, { a: '1' }),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }, { a: '1' })).toBe(false);
  });
});

describe('quantities and severity', () => {
  it('parses memory and cpu', () => {
    expect(memoryBytes('512Mi')).toBe(536870912);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('1e3')).toBe(1000);
    expect(memoryBytes('12 parsecs')).toBeUndefined();
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('1.5')).toBe(1500);
    expect(cpuMillis(2)).toBe(2000);
  });
  it('derives severity from base score like opa-utils', () => {
    expect([10, 9, 8, 7, 6, 4, 3, 1, 0.5].map(severityOf)).toEqual([
      'Critical',
      'Critical',
      'High',
      'High',
      'Medium',
      'Medium',
      'Low',
      'Low',
      'Unknown',
    ]);
  });
});

describe('control inputs', () => {
  it('has the reference defaults', () => {
    expect(DEFAULT_CONTROL_INPUTS.insecureCapabilities).toHaveLength(13);
    expect(DEFAULT_CONTROL_INPUTS.imageRepositoryAllowList).toEqual([]);
    expect(DEFAULT_CONTROL_INPUTS.cpu_limit_min).toEqual(['0']);
    expect(DEFAULT_CONTROL_INPUTS.recommendedLabels).toEqual([
      'app',
      'tier',
      'phase',
      'version',
      'owner',
      'env',
    ]);
  });
  it('accepts the Kubescape customer-config shape, the wrapped and the flat shapes, JSON or YAML', () => {
    const a = parseControlInputs(
      JSON.stringify({ settings: { postureControlInputs: { imageRepositoryAllowList: ['quay.io/'] } } }),
    );
    const b = parseControlInputs('postureControlInputs:\n  imageRepositoryAllowList: [quay.io/]\n');
    const c = parseControlInputs('imageRepositoryAllowList:\n  - quay.io/\ncpu_limit_max: [2]\n');
    for (const x of [a, b, c]) expect(x.imageRepositoryAllowList).toEqual(['quay.io/']);
    expect(c.cpu_limit_max).toEqual(['2']);
    expect(c.insecureCapabilities).toEqual(DEFAULT_CONTROL_INPUTS.insecureCapabilities); // untouched default
  });
  it('rejects non-string values and non-objects', () => {
    expect(() => parseControlInputs('imageRepositoryAllowList: [{a: 1}]')).toThrow(ControlInputsError);
    expect(() => parseControlInputs('- a')).toThrow(ControlInputsError);
  });
  it('reads ConfigMap data: whole document or one key per input', () => {
    const x = controlInputsFromConfigMap({
      'config.json': JSON.stringify({
        settings: { postureControlInputs: { floatingImageTags: ['stable'] } },
      }),
      imageRepositoryAllowList: 'quay.io/, ghcr.io/',
      recommendedLabels: '["team"]',
    });
    expect(x.floatingImageTags).toEqual(['stable']);
    expect(x.imageRepositoryAllowList).toEqual(['quay.io/', 'ghcr.io/']);
    expect(x.recommendedLabels).toEqual(['team']);
  });
});
