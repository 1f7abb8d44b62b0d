/**
 * Interning must never hand one resource another resource's result: each test scans resources that
 * are identical except for one thing a control reads, so a cache hit keyed on too little would
 * give them the same rule result or report entry.
 */
import { describe, expect, it } from 'vitest';
import {
  configMap,
  cronJob,
  deployment,
  hardenedContainer,
  hardenedPodSpec,
  pod,
  serviceAccount,
} from '../__fixtures__/k8s.js';
import { parseExceptions } from '../exceptions.js';
import { scanResources, type ReportResult, type ScanReport } from '../report.js';
import { DEFAULT_CONTROL_INPUTS } from './inputs.js';
import { PairMemo, SequenceInterner } from './intern.js';
import { at, indexed } from './paths.js';
import type { KubeObject } from './types.js';

const now = new Date('2026-01-01T00:00:00Z');

function control(report: ScanReport, resourceID: string, controlID: string) {
  const result = report.results.find((r) => r.resourceID === resourceID);
  return result?.controls.find((c) => c.controlID === controlID);
}

function pathsOf(report: ScanReport, resourceID: string, controlID: string): unknown[] {
  return control(report, resourceID, controlID)?.rules.flatMap((r) => r.paths) ?? [];
}

const dep = (name: string, ns = 'prod') => `apps/v1/${ns}/Deployment/${name}`;

describe('SequenceInterner', () => {
  it('returns the value built for the same identities in the same order, and only then', () => {
    const t = new SequenceInterner<object, string>(100);
    const a = {};
    const b = {};
    let built = 0;
    const make = (v: string) => () => {
      built++;
      return v;
    };
    expect(t.intern([a, b], make('ab'))).toBe('ab');
    expect(t.intern([a, b], make('other'))).toBe('ab');
    expect(t.intern([b, a], make('ba'))).toBe('ba');
    expect(t.intern([a], make('a'))).toBe('a');
    // Equal contents, different identity: not the same key.
    expect(t.intern([{}, b], make('fresh'))).toBe('fresh');
    expect(built).toBe(4);
  });

  it('stops remembering at its bound but still builds', () => {
    const t = new SequenceInterner<object, number>(2);
    const keys = [{}, {}, {}];
    expect(t.intern([keys[0] as object, keys[1] as object], () => 1)).toBe(1);
    expect(t.intern([keys[2] as object], () => 2)).toBe(2);
    expect(t.intern([keys[2] as object], () => 3)).toBe(3);
    expect(t.size).toBe(2);
  });
});

describe('PairMemo and paths', () => {
  it('keys on both strings', () => {
    const m = new PairMemo<string>(10);
    expect(m.get('a', 'b', () => 'ab')).toBe('ab');
    expect(m.get('a', 'c', () => 'ac')).toBe('ac');
    expect(m.get('b', 'a', () => 'ba')).toBe('ba');
    expect(m.get('a', 'b', () => 'wrong')).toBe('ab');
  });

  it('at/indexed are concatenation', () => {
    expect(at('spec.template.spec.', 'containers')).toBe('spec.template.spec.containers');
    expect(indexed('spec.containers', 2)).toBe('spec.containers[2]');
    expect(indexed('spec.containers', 1000)).toBe('spec.containers[1000]');
  });
});

describe('shared results are per input, not per shape', () => {
  it('two Deployments differing in one field a control reads get different results', () => {
    const report = scanResources(
      [
        deployment(
          'rw',
          hardenedPodSpec({ containers: [hardenedContainer('app', { securityContext: {} })] }),
        ),
        deployment(
          'ro-false',
          hardenedPodSpec({
            containers: [hardenedContainer('app', { securityContext: { readOnlyRootFilesystem: false } })],
          }),
        ),
        deployment('hardened', hardenedPodSpec()),
      ],
      { controls: ['C-0017'], now },
    );
    const path = 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem';
    expect(pathsOf(report, dep('rw'), 'C-0017')).toEqual([{ fixPath: path, value: 'true' }]);
    expect(pathsOf(report, dep('ro-false'), 'C-0017')).toEqual([{ reviewPath: path }]);
    expect(control(report, dep('hardened'), 'C-0017')?.status.status).toBe('passed');
  });

  it('paths are rebased per workload kind and container slot', () => {
    const spec = hardenedPodSpec({
      containers: [hardenedContainer('a'), hardenedContainer('b', { securityContext: {} })],
    });
    const report = scanResources([deployment('d', spec), pod('p', spec), cronJob('c', spec)], {
      controls: ['C-0017'],
      now,
    });
    const field = 'containers[1].securityContext.readOnlyRootFilesystem';
    expect(pathsOf(report, dep('d'), 'C-0017')).toEqual([
      { fixPath: `spec.template.spec.${field}`, value: 'true' },
    ]);
    expect(pathsOf(report, '/v1/prod/Pod/p', 'C-0017')).toEqual([
      { fixPath: `spec.${field}`, value: 'true' },
    ]);
    expect(pathsOf(report, 'batch/v1/prod/CronJob/c', 'C-0017')).toEqual([
      { fixPath: `spec.jobTemplate.spec.template.spec.${field}`, value: 'true' },
    ]);
  });

  it('identical pod specs in namespaces with different context objects differ (C-0258, C-0034)', () => {
    const spec = hardenedPodSpec({
      automountServiceAccountToken: undefined,
      serviceAccountName: 'runner',
      volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
      containers: [hardenedContainer('app', { volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }] })],
    });
    const objects: KubeObject[] = [
      deployment('web', spec, 'a'),
      deployment('web', spec, 'b'),
      configMap('settings', { k: 'v' }, 'a'), // only namespace a has the mounted ConfigMap
      serviceAccount('runner', 'b', { automountServiceAccountToken: false }), // only b disables the token
    ];
    const report = scanResources(objects, { controls: ['C-0258', 'C-0034'], now });
    const a = control(report, dep('web', 'a'), 'C-0258');
    expect(a?.status.status).toBe('failed');
    expect(a?.rules[0]?.relatedResourcesIDs).toEqual(['/v1/a/ConfigMap/settings']);
    expect(control(report, dep('web', 'b'), 'C-0258')?.status.status).toBe('passed');
    expect(pathsOf(report, dep('web', 'a'), 'C-0034')).toEqual([
      { fixPath: 'spec.template.spec.automountServiceAccountToken', value: 'false' },
    ]);
    expect(control(report, dep('web', 'b'), 'C-0034')?.status.status).toBe('passed');
  });

  it('the same related object id in two namespaces is not shared across them', () => {
    const spec = hardenedPodSpec({
      volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
      containers: [hardenedContainer('app', { volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }] })],
    });
    const report = scanResources(
      [
        deployment('web', spec, 'a'),
        deployment('web', spec, 'b'),
        configMap('settings', {}, 'a'),
        configMap('settings', {}, 'b'),
      ],
      { controls: ['C-0258'], now },
    );
    expect(control(report, dep('web', 'a'), 'C-0258')?.rules[0]?.relatedResourcesIDs).toEqual([
      '/v1/a/ConfigMap/settings',
    ]);
    expect(control(report, dep('web', 'b'), 'C-0258')?.rules[0]?.relatedResourcesIDs).toEqual([
      '/v1/b/ConfigMap/settings',
    ]);
  });

  it('an exception applies to the resource it designates, not to an identical failing one', () => {
    const spec = hardenedPodSpec({ containers: [hardenedContainer('app', { securityContext: {} })] });
    const exceptions = parseExceptions(
      JSON.stringify({
        name: 'only-one',
        policyType: 'postureExceptionPolicy',
        actions: ['alertOnly'],
        resources: [{ designatorType: 'Attributes', attributes: { name: 'excepted' } }],
        posturePolicies: [{ controlID: 'C-0017' }],
      }),
    );
    for (const order of [
      ['excepted', 'plain'],
      ['plain', 'excepted'],
    ]) {
      const report = scanResources(
        order.map((n) => deployment(n, spec)),
        { controls: ['C-0017'], exceptions, now },
      );
      expect(control(report, dep('excepted'), 'C-0017')?.status).toEqual({
        status: 'passed',
        subStatus: 'w/exceptions',
      });
      expect(control(report, dep('plain'), 'C-0017')?.status.status).toBe('failed');
    }
  });

  it('different control inputs give different results for the same workload', () => {
    const spec = hardenedPodSpec({
      containers: [hardenedContainer('app', { env: [{ name: 'MY_SETTING', value: 'x' }] })],
    });
    const objects = [deployment('web', spec)];
    const plain = scanResources(objects, { controls: ['C-0012'], now });
    const strict = scanResources(objects, {
      controls: ['C-0012'],
      now,
      inputs: { ...DEFAULT_CONTROL_INPUTS, sensitiveKeyNames: ['setting'] },
    });
    expect(control(plain, dep('web'), 'C-0012')?.status.status).toBe('passed');
    expect(pathsOf(strict, dep('web'), 'C-0012')).toEqual([
      { deletePath: 'spec.template.spec.containers[0].env[0].name' },
    ]);
  });

  it('streamed and held reports agree and shared entries are read-only', () => {
    const spec = hardenedPodSpec({ containers: [hardenedContainer('app', { securityContext: {} })] });
    const objects = [deployment('a', spec), deployment('b', spec), pod('p', spec)];
    const held = scanResources(objects, { now });
    const streamed: ReportResult[] = [];
    scanResources(objects, { now, onResult: (r, i) => (streamed[i] = r) });
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(held.results));
    const entry = control(held, dep('a'), 'C-0017');
    expect(entry).toBe(control(held, dep('b'), 'C-0017'));
    expect(Object.isFrozen(entry)).toBe(true);
    expect(Object.isFrozen(entry?.rules[0]?.paths)).toBe(true);
  });
});
