import { describe, expect, it } from 'vitest';
import {
  bareContainer,
  clusterRole,
  clusterRoleBinding,
  deployment,
  hardenedPodSpec,
  pod,
  user,
  userId,
} from './__fixtures__/k8s.js';
import {
  ExceptionsError,
  matchesInsensitive,
  matchesSensitive,
  parseExceptions,
  type PostureExceptionPolicy,
} from './exceptions.js';
import { scanResources } from './report.js';

const policy = (
  p: Partial<PostureExceptionPolicy> & Pick<PostureExceptionPolicy, 'resources' | 'posturePolicies'>,
): PostureExceptionPolicy => ({
  name: 'p',
  policyType: 'postureExceptionPolicy',
  actions: ['alertOnly'],
  ...p,
});

const objects = [
  deployment('web', { containers: [bareContainer('app'), bareContainer('side')] }, 'prod', {
    labels: { team: 'payments' },
  }),
  pod('debug', { containers: [bareContainer()] }, 'kube-system'),
  pod('good', hardenedPodSpec(), 'prod'),
];

function statusOf(report: ReturnType<typeof scanResources>, resourceID: string, controlID: string) {
  return report.results
    .find((r) => r.resourceID === resourceID)
    ?.controls.find((c) => c.controlID === controlID);
}

describe('exception comparators', () => {
  it('posture fields: case-insensitive equality or anchored regex', () => {
    expect(matchesInsensitive('c-0013', 'C-0013')).toBe(true);
    expect(matchesInsensitive('C-.*', 'C-0013')).toBe(true);
    expect(matchesInsensitive('C-001', 'C-0013')).toBe(false);
  });
  it('resource attributes: anchored case-sensitive regex', () => {
    expect(matchesSensitive('kube-.*', 'kube-system')).toBe(true);
    expect(matchesSensitive('kube', 'kube-system')).toBe(false);
    expect(matchesSensitive('Kube-system', 'kube-system')).toBe(false);
    expect(matchesSensitive('a[', 'a[')).toBe(true); // invalid regex: literal comparison
  });
});

describe('parseExceptions', () => {
  it('accepts a single policy or a list, JSON or YAML', () => {
    expect(
      parseExceptions('{"name":"a","actions":["alertOnly"],"resources":[],"posturePolicies":[]}'),
    ).toHaveLength(1);
    expect(
      parseExceptions('- name: a\n  actions: [alertOnly]\n- name: b\n  actions: [alertOnly]\n'),
    ).toHaveLength(2);
    expect(() => parseExceptions('- name: 3\n  actions: alertOnly')).toThrow(ExceptionsError);
  });
});

describe('exceptions applied by scanResources', () => {
  it('turns a matching failed control into passed w/exceptions and records the policy', () => {
    const ex = policy({
      resources: [
        { designatorType: 'Attributes', attributes: { kind: 'Deployment', namespace: 'prod', name: 'web' } },
      ],
      posturePolicies: [{ controlID: 'c-0017' }],
    });
    const r = scanResources(objects, { controls: ['C-0017', 'C-0013'], exceptions: [ex] });
    const c = statusOf(r, 'apps/v1/prod/Deployment/web', 'C-0017')!;
    expect(c.status).toEqual({ status: 'passed', subStatus: 'w/exceptions' });
    expect(c.rules[0]).toMatchObject({ status: 'passed', subStatus: 'w/exceptions', exception: [ex] });
    // Paths are kept so the excepted finding stays visible.
    expect(c.rules[0]!.paths).toHaveLength(2);
    expect(statusOf(r, 'apps/v1/prod/Deployment/web', 'C-0013')!.status.status).toBe('failed');
    expect(statusOf(r, '/v1/kube-system/Pod/debug', 'C-0017')!.status.status).toBe('failed');
    expect(r.summaryDetails.controls['C-0017']!.ResourceCounters).toEqual({
      passedResources: 2,
      failedResources: 1,
      skippedResources: 0,
      excludedResources: 1,
    });
  });

  it('matches labels by regex, namespaces by regex, and all controls when posturePolicies is empty', () => {
    const byLabel = policy({
      resources: [{ designatorType: 'Attributes', attributes: { team: 'pay.*' } }],
      posturePolicies: [],
    });
    const byNs = policy({
      resources: [{ designatorType: 'Attributes', attributes: { namespace: 'kube-.*' } }],
      posturePolicies: [{}],
    });
    const r = scanResources(objects, { controls: ['C-0017', 'C-0013'], exceptions: [byLabel, byNs] });
    for (const id of ['apps/v1/prod/Deployment/web', '/v1/kube-system/Pod/debug']) {
      for (const c of ['C-0017', 'C-0013']) expect(statusOf(r, id, c)!.status.subStatus).toBe('w/exceptions');
    }
  });

  it('ignores non-alertOnly actions, expired policies, empty designators and non-matching frameworks or rules', () => {
    const base = { resources: [{ designatorType: 'Attributes', attributes: { name: 'web' } }] };
    const ignored = [
      policy({ ...base, actions: ['disable'], posturePolicies: [] }),
      policy({ ...base, expirationDate: '2020-01-01T00:00:00Z', posturePolicies: [] }),
      policy({ resources: [{ designatorType: 'Attributes', attributes: {} }], posturePolicies: [] }),
      policy({ ...base, posturePolicies: [{ frameworkName: 'MITRE' }] }),
      policy({ ...base, posturePolicies: [{ controlID: 'C-0017', ruleName: 'other-rule' }] }),
    ];
    const r = scanResources(objects, { frameworks: ['NSA'], controls: ['C-0017'], exceptions: ignored });
    expect(statusOf(r, 'apps/v1/prod/Deployment/web', 'C-0017')!.status.status).toBe('failed');
    const byFramework = policy({
      ...base,
      posturePolicies: [{ frameworkName: 'nsa', controlName: 'Immutable container filesystem' }],
    });
    const r2 = scanResources(objects, { frameworks: ['NSA'], exceptions: [byFramework] });
    expect(statusOf(r2, 'apps/v1/prod/Deployment/web', 'C-0017')!.status.subStatus).toBe('w/exceptions');
  });

  it('containerName only matches when the failing paths point at that container', () => {
    const side = policy({
      resources: [{ designatorType: 'Attributes', attributes: { name: 'web', containerName: 'side' } }],
      posturePolicies: [{ controlID: 'C-0017' }],
    });
    const none = policy({
      resources: [{ designatorType: 'Attributes', attributes: { name: 'web', containerName: 'nope' } }],
      posturePolicies: [{ controlID: 'C-0017' }],
    });
    expect(
      statusOf(
        scanResources(objects, { controls: ['C-0017'], exceptions: [side] }),
        'apps/v1/prod/Deployment/web',
        'C-0017',
      )!.status.subStatus,
    ).toBe('w/exceptions');
    expect(
      statusOf(
        scanResources(objects, { controls: ['C-0017'], exceptions: [none] }),
        'apps/v1/prod/Deployment/web',
        'C-0017',
      )!.status.status,
    ).toBe('failed');
  });

  it('matches RBAC subjects through their related binding or role', () => {
    const rbac = [
      clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      clusterRoleBinding('ops-admins', 'cluster-admin', [user('jane')]),
    ];
    const ex = policy({
      resources: [
        { designatorType: 'Attributes', attributes: { kind: 'ClusterRoleBinding', name: 'ops-.*' } },
      ],
      posturePolicies: [{ controlID: 'C-0035' }],
    });
    const r = scanResources(rbac, { controls: ['C-0035'], exceptions: [ex] });
    expect(statusOf(r, userId('jane'), 'C-0035')!.status).toEqual({
      status: 'passed',
      subStatus: 'w/exceptions',
    });
  });
});
