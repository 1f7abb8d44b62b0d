import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EventingConfigError, loadEventingConfig } from './config.js';
import { writeManifests } from './__fixtures__/servers.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'knative', 'base');

const BROKER = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default}
`;
const trigger = (spec: string, name = 't') => `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: ${name}}
spec:
  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: sub}}
${spec}`;
const load = (files: Record<string, string>) => loadEventingConfig(writeManifests(files));
const loadOne = (yaml: string) => load({ 'kustomization.yaml': 'resources: [m.yaml]\n', 'm.yaml': yaml });

describe('loadEventingConfig on the fixture base', () => {
  const cfg = loadEventingConfig(FIXTURE);

  it('follows resources recursively (files and directories) and ignores other kinds', () => {
    expect(cfg.brokers.map((b) => b.name)).toEqual(['kscape']);
    expect(cfg.triggers.map((t) => t.name)).toEqual([
      'kscape-schedule-ping',
      'kscape-scan-configscan-requested',
      'kscape-vuln-vulnscan-requested',
      'kscape-export-completed',
    ]);
    expect(cfg.pingSources.map((p) => p.name)).toEqual(['kscape-posture', 'kscape-vulnerability']);
    expect(cfg.files.map((f) => path.relative(FIXTURE, f))).toContain(
      path.join('sources', 'pingsources.yaml'),
    );
  });

  it('applies the outermost kustomization namespace to everything, refs included', () => {
    for (const r of [...cfg.brokers, ...cfg.triggers, ...cfg.pingSources]) expect(r.namespace).toBe('kscape');
    expect(cfg.triggers[0]!.subscriber.ref).toEqual({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      name: 'kscape-schedule',
      namespace: 'kscape',
    });
  });

  it('parses the Broker DeliverySpec', () => {
    expect(cfg.brokers[0]!.delivery).toEqual({
      retry: 2,
      backoffPolicy: 'linear',
      backoffDelayMs: 10,
      timeoutMs: 5000,
      deadLetterSink: {
        ref: {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Service',
          name: 'kscape-deadletter',
          namespace: 'kscape',
        },
      },
    });
  });

  it('keeps a Trigger delivery override and ref+uri subscribers', () => {
    const vuln = cfg.triggers.find((t) => t.name === 'kscape-vuln-vulnscan-requested')!;
    expect(vuln.delivery).toEqual({ retry: 0, backoffPolicy: 'exponential' });
    expect(vuln.subscriber.uri).toBe('/events?from=broker');
    expect(vuln.filter).toEqual({
      kind: 'attributes',
      attributes: { type: 'io.kubescape.vulnscan.requested', source: '' },
    });
  });

  it('parses PingSources: data, dataBase64, contentType, timezone, ceOverrides', () => {
    const [posture, vuln] = cfg.pingSources;
    expect(posture!.data!.toString()).toBe('{"job":"posture"}');
    expect(posture!.contentType).toBe('application/json');
    expect(posture!.schedule).toBe('0 */6 * * *');
    expect(vuln!.data!.toString()).toBe('{"job":"vulnerability"}');
    expect(vuln!.timezone).toBe('Europe/Paris');
    expect(vuln!.extensions).toEqual({ kscapejob: 'vulnerability' });
    expect(vuln!.sink.ref).toMatchObject({ kind: 'Broker', name: 'kscape', namespace: 'kscape' });
    expect(vuln!.origin).toEqual({ file: path.join(FIXTURE, 'sources', 'pingsources.yaml'), document: 2 });
  });
});

describe('loadEventingConfig errors name the file and document', () => {
  const expectError = (fn: () => unknown, re: RegExp, file?: string, document?: number) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EventingConfigError);
    const e = err as EventingConfigError;
    expect(e.message).toMatch(re);
    if (file) expect(path.basename(e.file ?? '')).toBe(file);
    if (document !== undefined) expect(e.document).toBe(document);
  };

  it('unknown filter dialect', () => {
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('  filters: [{regex: {type: x}}]')}`),
      /m.yaml, document 2, Trigger default\/t: spec.filters\[0\]: unknown filter dialect "regex"/,
      'm.yaml',
      2,
    );
  });

  it('cesql is rejected as unsupported', () => {
    expectError(
      () => loadOne(`${BROKER}---\n${trigger(`  filters: [{cesql: "type = 'x'"}]`)}`),
      /cesql dialect is not supported/,
    );
  });

  it('bad ISO-8601 duration', () => {
    expectError(
      () =>
        loadOne(
          `${BROKER.replace('metadata: {name: default}', 'metadata: {name: default}\nspec:\n  delivery: {retry: 1, backoffDelay: 200ms}')}`,
        ),
      /Broker default\/default: spec.delivery.backoffDelay: "200ms" is not an ISO-8601 duration/,
      'm.yaml',
      1,
    );
  });

  it('bad delivery fields', () => {
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('  delivery: {retry: -1}')}`),
      /spec.delivery.retry must be an integer >= 0/,
    );
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('  delivery: {backoffPolicy: random}')}`),
      /backoffPolicy must be linear or exponential/,
    );
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('  delivery: {retries: 3}')}`),
      /unknown field\(s\) retries/,
    );
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('  delivery: {timeout: PT0S}')}`),
      /timeout must be greater than zero/,
    );
  });

  it('a Trigger whose Broker is not in the manifests', () => {
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('  broker: other')}`),
      /refers to Broker default\/other, which is not defined/,
      'm.yaml',
      2,
    );
  });

  it('subscriber problems', () => {
    expectError(
      () => loadOne(`${BROKER}---\n${trigger('').replace(/ {2}subscriber: .*\n/, '  subscriber: {}\n')}`),
      /spec.subscriber needs ref or uri/,
    );
    expectError(
      () =>
        loadOne(
          `${BROKER}---\n${trigger('').replace(/ {2}subscriber: .*\n/, '  subscriber: {ref: {apiVersion: v1, kind: Service, name: s}, uri: "http://x/"}\n')}`,
        ),
      /uri must be a relative path when ref is set/,
    );
    expectError(
      () =>
        loadOne(
          `${BROKER}---\n${trigger('').replace(/ {2}subscriber: .*\n/, '  subscriber: {uri: /relative}\n')}`,
        ),
      /must be an absolute URL/,
    );
  });

  it('PingSource problems', () => {
    const ps = (spec: string) => `${BROKER}---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: p}
spec:
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
${spec}`;
    expectError(
      () => loadOne(ps('  schedule: "every day"')),
      /PingSource default\/p: spec.schedule "every day" is not a valid cron expression/,
      'm.yaml',
      2,
    );
    expectError(() => loadOne(ps('  timezone: Mars/Olympus')), /not a tz database name/);
    expectError(() => loadOne(ps('  data: x\n  dataBase64: eA==')), /mutually exclusive/);
    expectError(() => loadOne(ps('  dataBase64: "not base64!"')), /standard base64/);
    expectError(() => loadOne(ps('  data: {job: posture}')), /spec.data must be a string/);
    expectError(
      () => loadOne(ps('  ceOverrides: {extensions: {type: x}}')),
      /cannot override the context attribute type/,
    );
    expectError(
      () =>
        loadOne(
          `${BROKER}---\napiVersion: sources.knative.dev/v1beta2\nkind: PingSource\nmetadata: {name: p}\nspec: {}\n`,
        ),
      /use sources.knative.dev\/v1/,
    );
  });

  it('@every needs a Go duration', () => {
    const ps = (schedule: string) => `${BROKER}---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: p}
spec:
  schedule: "${schedule}"
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
`;
    expect(loadOne(ps('@every 1m30s')).pingSources[0]!.schedule).toBe('@every 1m30s');
    expectError(() => loadOne(ps('@every soon')), /@every needs a positive Go duration/);
    expectError(() => loadOne(ps('@every 10')), /@every needs a positive Go duration/);
  });

  it('honours YAML merge keys as kubectl does', () => {
    const cfg = loadOne(`${BROKER}---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t}
spec:
  subscriber: &sub {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: sub}}
  delivery:
    <<: {retry: 3, backoffDelay: PT1S}
    backoffPolicy: linear
`);
    expect(cfg.triggers[0]!.delivery).toEqual({ retry: 3, backoffDelayMs: 1000, backoffPolicy: 'linear' });
  });

  it('CRON_TZ prefix becomes the timezone', () => {
    const cfg = loadOne(`${BROKER}---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: p}
spec:
  schedule: "CRON_TZ=America/New_York 0 9 * * 1-5"
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
`);
    expect(cfg.pingSources[0]).toMatchObject({ schedule: '0 9 * * 1-5', timezone: 'America/New_York' });
  });

  it('invalid YAML and duplicates', () => {
    expectError(() => loadOne(`${BROKER}---\nkind: [`), /invalid YAML/, 'm.yaml', 2);
    expectError(
      () => loadOne(`${BROKER}---\n${BROKER}`),
      /duplicate Broker default\/default, first defined in .*m.yaml document 1/,
      'm.yaml',
      2,
    );
  });

  it('kustomize features that would change names or eventing resources', () => {
    expectError(
      () => load({ 'kustomization.yaml': 'namePrefix: dev-\nresources: [m.yaml]\n', 'm.yaml': BROKER }),
      /namePrefix is not supported/,
      'kustomization.yaml',
    );
    expectError(
      () =>
        load({
          'kustomization.yaml':
            'resources: [m.yaml]\npatches:\n  - target: {kind: Trigger}\n    patch: "[]"\n',
          'm.yaml': BROKER,
        }),
      /patches patches Trigger/,
    );
    expectError(
      () => load({ 'kustomization.yaml': 'resources: [https://github.com/x/y//base]\n' }),
      /remote resources entry/,
    );
    expectError(
      () => load({ 'kustomization.yaml': 'resources: [missing.yaml]\n' }),
      /resources entry missing.yaml does not exist/,
    );
    expectError(
      () => load({ 'kustomization.yaml': 'resources: [sub]\n', 'sub/m.yaml': BROKER }),
      /directory without a kustomization.yaml/,
    );
    // patches of other kinds are fine
    const ok = load({
      'kustomization.yaml':
        'resources: [m.yaml]\npatches:\n  - target: {kind: Deployment}\n    patch: "[]"\n',
      'm.yaml': BROKER,
    });
    expect(ok.brokers).toHaveLength(1);
  });

  it('detects kustomization cycles', () => {
    expectError(
      () => load({ 'kustomization.yaml': 'resources: [a]\n', 'a/kustomization.yaml': 'resources: [..]\n' }),
      /kustomization cycle/,
    );
  });

  it('metadata.namespace is kept when no kustomization sets one; default namespace otherwise', () => {
    const cfg = loadOne(
      `${BROKER.replace('{name: default}', '{name: default, namespace: team-a}')}---\n${BROKER}`,
    );
    expect(cfg.brokers.map((b) => `${b.namespace}/${b.name}`)).toEqual(['team-a/default', 'default/default']);
    const cfg2 = loadEventingConfig(
      writeManifests({ 'kustomization.yaml': 'resources: [m.yaml]\n', 'm.yaml': BROKER }),
      { defaultNamespace: 'dev' },
    );
    expect(cfg2.brokers[0]!.namespace).toBe('dev');
  });
});
