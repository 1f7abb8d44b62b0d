import { describe, expect, it } from 'vitest';
import {
  bareContainer,
  clusterRole,
  clusterRoleBinding,
  deployment,
  hardenedPodSpec,
  namespace,
  pod,
  saSubject,
  serviceAccount,
} from './__fixtures__/k8s.js';
import { mergeInputs, DEFAULT_CONTROL_INPUTS } from './engine/inputs.js';
import { resolveSelection, scanResources, ScanSelectionError } from './report.js';

describe('scanResources report', () => {
  const objects = [
    deployment('web', { containers: [bareContainer()] }, 'prod'),
    pod('good', hardenedPodSpec(), 'prod'),
    namespace('prod'),
    { not: 'a kubernetes object' },
  ];

  it('emits one result per resource with Kubescape-style IDs and paths', () => {
    const r = scanResources(objects, {
      controls: ['C-0017', 'C-0041'],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(r.generationTime).toBe('2026-01-01T00:00:00.000Z');
    expect(r.results.map((x) => x.resourceID)).toEqual(['apps/v1/prod/Deployment/web', '/v1/prod/Pod/good']);
    const web = r.results[0]!;
    expect(web.controls.map((c) => c.controlID)).toEqual(['C-0017', 'C-0041']);
    expect(web.controls[0]).toEqual({
      controlID: 'C-0017',
      name: 'Immutable container filesystem',
      severity: 'Low',
      status: { status: 'failed', subStatus: '' },
      rules: [
        {
          name: 'immutable-container-filesystem',
          status: 'failed',
          paths: [
            {
              fixPath: 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
              value: 'true',
            },
          ],
        },
      ],
    });
    expect(web.controls[1]!.status).toEqual({ status: 'passed', subStatus: '' });
    expect(r.summaryDetails.ResourceCounters).toEqual({
      passedResources: 1,
      failedResources: 1,
      skippedResources: 0,
      excludedResources: 0,
    });
    expect(r.summaryDetails.controlsSeverityCounters).toEqual({
      criticalSeverity: 0,
      highSeverity: 0,
      mediumSeverity: 0,
      lowSeverity: 1,
    });
    expect(r.summaryDetails.resourcesSeverityCounters.lowSeverity).toBe(1);
  });

  it('reports framework controls that are not implemented as skipped, never drops them', () => {
    const r = scanResources(objects, { frameworks: ['nsa'] });
    const fw = r.summaryDetails.frameworks[0]!;
    expect(fw.name).toBe('NSA');
    expect(fw.controls).toHaveLength(26);
    expect(Object.keys(r.summaryDetails.controls)).toHaveLength(26);
    // C-0005 (API server flags) is evaluated on the kube-apiserver pod or a node's host facts:
    // neither is here.
    expect(r.summaryDetails.controls['C-0005']).toMatchObject({ status: 'passed', subStatus: 'irrelevant' });
    // MITRE's C-0052 (instance metadata API) needs cloud-provider data this engine does not read.
    const mitre = scanResources(objects, { frameworks: ['MITRE'] });
    expect(mitre.summaryDetails.controls['C-0052']).toMatchObject({
      status: 'skipped',
      subStatus: 'notEvaluated',
    });
    expect(mitre.summaryDetails.controls['C-0052']!.info).toMatch(/not implemented/);
    expect(r.summaryDetails.controls['C-0017']).toMatchObject({
      status: 'failed',
      name: 'Immutable container filesystem',
      baseScore: 3,
    });
    // C-0002 (RBAC) has no subjects here: passed/irrelevant.
    expect(r.summaryDetails.controls['C-0002']).toMatchObject({
      status: 'passed',
      subStatus: 'irrelevant',
      complianceScore: 100,
    });
  });

  it('skips configuration-dependent controls without configuration, evaluates them with it', () => {
    const skipped = scanResources(objects, { controls: ['C-0078'] });
    expect(skipped.summaryDetails.controls['C-0078']).toMatchObject({
      status: 'skipped',
      subStatus: 'configuration',
      info: 'Control configurations are empty',
    });
    expect(skipped.results[0]!.controls[0]!.status).toMatchObject({
      status: 'skipped',
      subStatus: 'configuration',
    });
    const inputs = mergeInputs(DEFAULT_CONTROL_INPUTS, {
      imageRepositoryAllowList: ['registry.example.com/'],
    });
    const run = scanResources(objects, { controls: ['C-0078'], inputs });
    expect(run.summaryDetails.controls['C-0078']).toMatchObject({ status: 'failed' });
    expect(run.results[0]!.controls[0]!.rules[0]!.controlConfigurations).toEqual({
      imageRepositoryAllowList: ['registry.example.com/'],
    });
  });

  it('merges an RBAC subject and the ServiceAccount object with the same ID into one result', () => {
    const r = scanResources(
      [
        serviceAccount('ci', 'prod'),
        clusterRole('admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
        clusterRoleBinding('b', 'admin', [saSubject('ci', 'prod')]),
      ],
      { controls: ['C-0034', 'C-0035'] },
    );
    const sa = r.results.filter((x) => x.resourceID === '/v1/prod/ServiceAccount/ci');
    expect(sa).toHaveLength(1);
    expect(sa[0]!.controls.map((c) => c.controlID)).toEqual(['C-0034', 'C-0035']);
  });

  it('keeps one result per resource ID when an object is listed twice', () => {
    // The report counts IDs that occur once without its ID maps; a duplicate must still merge.
    const web = deployment('web', { containers: [bareContainer()] }, 'prod');
    const r = scanResources([web, structuredClone(web), pod('good', hardenedPodSpec(), 'prod')], {
      controls: ['C-0017'],
    });
    expect(r.results.map((x) => x.resourceID)).toEqual(['apps/v1/prod/Deployment/web', '/v1/prod/Pod/good']);
    expect(r.results[0]!.controls.map((c) => c.controlID)).toEqual(['C-0017', 'C-0017']);
    expect(r.summaryDetails.ResourceCounters).toMatchObject({ passedResources: 1, failedResources: 1 });
    // Streamed results are the held ones, at the held positions (not the duplicate twice).
    const streamed: [number, unknown][] = [];
    const s = scanResources([web, structuredClone(web), pod('good', hardenedPodSpec(), 'prod')], {
      controls: ['C-0017'],
      onResult: (result, position) => streamed.push([position, result]),
    });
    expect(s.results).toEqual([]);
    expect(streamed.sort((a, b) => a[0] - b[0]).map(([, x]) => x)).toEqual(r.results);
    expect(s.summaryDetails.ResourceCounters).toEqual(r.summaryDetails.ResourceCounters);
  });

  it('can omit passed controls from results', () => {
    const r = scanResources(objects, { controls: ['C-0017'], includePassed: false });
    expect(r.results.map((x) => x.resourceID)).toEqual(['apps/v1/prod/Deployment/web']);
  });

  it('rejects unknown frameworks and controls with the valid names', () => {
    expect(() => resolveSelection({ frameworks: ['pci'] })).toThrow(ScanSelectionError);
    expect(() => resolveSelection({ frameworks: ['pci'] })).toThrow(/valid frameworks: NSA/);
    expect(() => resolveSelection({ controls: ['C-0003'] })).toThrow(
      /unknown control\(s\) "C-0003".*implemented: C-0001/,
    );
    expect(resolveSelection({ controls: ['c-0017', 'C-0017'] }).controlIDs).toEqual(['C-0017']);
  });

  it('isolates evaluation errors on malformed objects as skipped results', () => {
    const weird = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'weird', namespace: 'prod' },
      spec: {
        containers: [{ name: 'a', securityContext: { capabilities: { add: 'SYS_ADMIN' } } }],
        volumes: 'x',
      },
    };
    const r = scanResources([weird], { controls: ['C-0057', 'C-0048'] });
    expect(r.results[0]!.controls.map((c) => c.status.status)).toEqual(['passed', 'passed']);
  });
});
