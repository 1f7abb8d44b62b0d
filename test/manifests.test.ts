/**
 * The deployable manifests (knative/) and the image (Dockerfile) are checked here, without a
 * cluster: every document of every build (base and overlays) is validated against its schema —
 * Knative kinds against the CRD schemas in ../shared/schemas/knative with unknown fields rejected
 * (what `kubectl apply`'s default strict field validation does for a structural CRD), Kubernetes
 * kinds with kubernetes-models, cert-manager kinds with @kubernetes-models/cert-manager, unknown
 * kinds fail — and the cross-object contracts hold: Triggers implement lib/events/routes.ts,
 * references resolve, workloads are locked down, the commands exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { APIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { FUNCTION_ROUTES } from '../lib/events/routes.js';
import { EVENT_TYPES, PingJob } from '../lib/events/catalog.js';
import {
  CLUSTER_SCOPED_KINDS,
  KustomizeError,
  REPO_ROOT,
  SECURITY_EXCEPTION_ANNOTATION,
  byKind,
  checkReferences,
  checkSecurity,
  containersOf,
  filesUsedBy,
  idOf,
  findObject,
  loadKustomization,
  podSpecOf,
  podTemplateMetaOf,
  serviceOfFunction,
  splitImage,
  strategicMerge,
  triggerRoutes,
  workloads,
  yamlFilesUnder,
  type KubeObject,
} from './support/manifests.js';

// ------------------------------------------------------------------------------------ constants

const KNATIVE_DIR = join(REPO_ROOT, 'knative');
const SHARED_SCHEMA_DIR = resolve(REPO_ROOT, '..', 'shared', 'schemas', 'knative');
// The shared copy when it sits beside the checkout, else the vendored one (any clone works).
const SCHEMA_DIR = existsSync(SHARED_SCHEMA_DIR) ? SHARED_SCHEMA_DIR : join(REPO_ROOT, 'test', 'fixtures', 'knative-crds');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'manifests');
const NAMESPACE = 'kubescape';
const IMAGE = 'ghcr.io/kscape/kscape';

/** Builds under test, with the Secrets each deliberately leaves to the installer. */
const BUILDS: { dir: string; externalSecrets: string[] }[] = [
  { dir: 'knative/base', externalSecrets: ['kscape-postgres'] },
  { dir: 'knative/overlays/production', externalSecrets: ['kscape-postgres'] },
  { dir: 'knative/overlays/with-postgres', externalSecrets: [] },
];

/** The `kscape` commands the CLI offers for deployed components (cli/main.ts). */
const FUNCTIONS = ['scan', 'vuln', 'schedule', 'export', 'control', 'deadletter'] as const;
const COMPONENT_COMMANDS = ['function', 'storage-api', 'node-agent'] as const;

const cache = new Map<string, KubeObject[]>();
const build = (dir: string): KubeObject[] => {
  if (!cache.has(dir)) cache.set(dir, loadKustomization(join(REPO_ROOT, dir)));
  return cache.get(dir)!;
};
const base = (): KubeObject[] => build('knative/base');

type Rec = Record<string, unknown>;
const get = (v: unknown, ...path: (string | number)[]): unknown => {
  let cur: unknown = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
};
const must = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`${what} not found`);
  return v;
};

// ----------------------------------------------------------------- schema validation (Knative)

type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

interface CrdVersion {
  validate: ValidateFunction;
  schema: Rec;
}

/**
 * A CRD's structural schema as JSON Schema for ajv: objects that declare `properties` and neither
 * `x-kubernetes-preserve-unknown-fields` nor `additionalProperties` reject unknown fields (the API
 * server prunes them, and `kubectl apply` refuses them under its default strict field validation);
 * the root also admits apiVersion/kind/metadata, which CRD schemas may leave implicit.
 */
function strictify(node: unknown, root: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => strictify(n, false));
  if (node === null || typeof node !== 'object') return node;
  const out: Rec = {};
  for (const [k, v] of Object.entries(node as Rec)) {
    if (k === 'properties' && v && typeof v === 'object')
      out[k] = Object.fromEntries(Object.entries(v as Rec).map(([pk, pv]) => [pk, strictify(pv, false)]));
    else if (
      k === 'items' ||
      k === 'additionalProperties' ||
      k === 'anyOf' ||
      k === 'oneOf' ||
      k === 'allOf' ||
      k === 'not'
    )
      out[k] = strictify(v, false);
    else out[k] = v;
  }
  if (root) {
    const props = { ...((out.properties as Rec | undefined) ?? {}) };
    props.apiVersion ??= { type: 'string' };
    props.kind ??= { type: 'string' };
    props.metadata ??= { type: 'object' };
    out.properties = props;
  }
  if (
    out.properties &&
    out['x-kubernetes-preserve-unknown-fields'] !== true &&
    out.additionalProperties === undefined
  )
    out.additionalProperties = false;
  return out;
}

function loadKnativeSchemas(): Map<string, CrdVersion> {
  if (!existsSync(SCHEMA_DIR)) throw new Error(`Knative CRD schemas not found at ${SCHEMA_DIR}`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const out = new Map<string, CrdVersion>();
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(SCHEMA_DIR, file), 'utf8'))) {
      const crd = doc.toJS() as Rec | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      const group = get(crd, 'spec', 'group') as string;
      const kind = get(crd, 'spec', 'names', 'kind') as string;
      for (const v of (get(crd, 'spec', 'versions') as Rec[]) ?? []) {
        if (v.served !== true) continue;
        const schema = get(v, 'schema', 'openAPIV3Schema') as Rec;
        out.set(`${group}/${String(v.name)}/${kind}`, {
          validate: ajv.compile(strictify(schema, true) as Rec),
          schema,
        });
      }
    }
  }
  return out;
}

const KNATIVE = loadKnativeSchemas();

/** Feature flags (config-features) guarding fields a document uses, from the CRD descriptions. */
function featureFlagsUsed(value: unknown, schema: unknown, acc = new Set<string>()): Set<string> {
  const desc = get(schema, 'description');
  if (typeof desc === 'string') {
    const m = /feature flag - ([\w.-]+)/.exec(desc);
    if (m) acc.add(m[1]!);
  }
  if (Array.isArray(value)) {
    const items = get(schema, 'items');
    if (items) for (const v of value) featureFlagsUsed(v, items, acc);
  } else if (value && typeof value === 'object') {
    const props = get(schema, 'properties') as Rec | undefined;
    if (props)
      for (const [k, v] of Object.entries(value as Rec)) if (props[k]) featureFlagsUsed(v, props[k], acc);
  }
  return acc;
}

// ------------------------------------------------------------ schema validation (Kubernetes)

type ModelCtor = new (data: Rec) => { validate(): void };
const models = (list: [string, unknown][]): Map<string, ModelCtor> =>
  new Map(list.map(([k, c]) => [k, c as ModelCtor]));
const K8S_MODELS = models([
  ['v1/Namespace', Namespace],
  ['v1/ServiceAccount', ServiceAccount],
  ['v1/Service', Service],
  ['v1/Secret', Secret],
  ['v1/ConfigMap', ConfigMap],
  ['apps/v1/Deployment', Deployment],
  ['apps/v1/DaemonSet', DaemonSet],
  ['apps/v1/StatefulSet', StatefulSet],
  ['rbac.authorization.k8s.io/v1/ClusterRole', ClusterRole],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', ClusterRoleBinding],
  ['rbac.authorization.k8s.io/v1/Role', Role],
  ['rbac.authorization.k8s.io/v1/RoleBinding', RoleBinding],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['apiregistration.k8s.io/v1/APIService', APIService],
  ['networking.k8s.io/v1/NetworkPolicy', NetworkPolicy],
  ['cert-manager.io/v1/Certificate', Certificate],
  ['cert-manager.io/v1/Issuer', Issuer],
]);

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names become DNS labels (Service host names, Knative routes). */
const LABEL_NAMED = new Set(['Service', 'Namespace', 'Broker']);

function validateDocument(obj: KubeObject): string[] {
  const where = `${obj.apiVersion} ${obj.kind} ${obj.metadata.name}`;
  const problems: string[] = [];
  try {
    new ObjectMeta(obj.metadata as Rec).validate();
  } catch (e) {
    problems.push(`${where}: metadata: ${(e as Error).message}`);
  }
  const nameOk =
    obj.kind.startsWith('Cluster') && obj.metadata.name.includes(':')
      ? true
      : DNS1123_SUBDOMAIN.test(obj.metadata.name);
  if (!nameOk || obj.metadata.name.length > 253) problems.push(`${where}: name is not a DNS-1123 subdomain`);
  if (LABEL_NAMED.has(obj.kind) && !(DNS1123_LABEL.test(obj.metadata.name) && obj.metadata.name.length <= 63))
    problems.push(`${where}: name must be a DNS-1123 label (≤ 63)`);
  if (CLUSTER_SCOPED_KINDS.has(obj.kind) && obj.metadata.namespace)
    problems.push(`${where}: cluster-scoped but has a namespace`);
  if (!CLUSTER_SCOPED_KINDS.has(obj.kind) && !obj.metadata.namespace)
    problems.push(`${where}: namespaced but has no namespace`);

  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0]! : '';
  if (group.endsWith('knative.dev')) {
    const crd = KNATIVE.get(`${obj.apiVersion}/${obj.kind}`);
    if (!crd)
      return [...problems, `${where}: no served Knative CRD version for ${obj.apiVersion} ${obj.kind}`];
    if (!crd.validate(obj))
      for (const err of crd.validate.errors ?? [])
        problems.push(
          `${where}: ${err.instancePath || '/'} ${err.message ?? ''} ${err.keyword === 'additionalProperties' ? JSON.stringify(err.params) : ''}`.trim(),
        );
    return problems;
  }
  const Model = K8S_MODELS.get(`${obj.apiVersion}/${obj.kind}`);
  if (!Model) return [...problems, `${where}: unknown kind (add its model to test/manifests.test.ts)`];
  try {
    new Model(obj as unknown as Rec).validate();
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
  }
  return problems;
}

// ------------------------------------------------------------------- Knative webhook rules

/** Rules Knative Serving's admission webhook enforces that its CRD schema does not express. */
function knativeServiceRules(ksvc: KubeObject): string[] {
  const where = `Knative Service ${ksvc.metadata.name}`;
  const problems: string[] = [];
  const top = ksvc.metadata.annotations ?? {};
  for (const k of Object.keys(top))
    if (k.startsWith('autoscaling.knative.dev/'))
      problems.push(`${where}: ${k} must be on spec.template.metadata, not the Service`);
  const ann = (get(ksvc, 'spec', 'template', 'metadata', 'annotations') ?? {}) as Record<string, string>;
  const int = (k: string): number | undefined => {
    const v = ann[`autoscaling.knative.dev/${k}`];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v))
      problems.push(`${where}: autoscaling.knative.dev/${k} must be a non-negative integer string`);
    return Number(v);
  };
  const min = int('min-scale');
  const max = int('max-scale');
  int('target');
  if (min === undefined || max === undefined) problems.push(`${where}: set min-scale and max-scale`);
  else if (max !== 0 && min > max) problems.push(`${where}: min-scale ${min} > max-scale ${max}`);
  const spec = podSpecOf(ksvc)!;
  const cc = spec.containerConcurrency;
  if (typeof cc !== 'number' || cc < 0 || cc > 1000)
    problems.push(`${where}: containerConcurrency must be 0..1000`);
  const target = min === undefined ? undefined : Number(ann['autoscaling.knative.dev/target']);
  if (typeof cc === 'number' && cc > 0 && target !== undefined && target > cc)
    problems.push(`${where}: autoscaling target ${target} above containerConcurrency ${cc}`);
  const timeout = spec.timeoutSeconds;
  if (typeof timeout !== 'number' || timeout < 1 || timeout > 600)
    problems.push(`${where}: timeoutSeconds must be 1..600 (max-revision-timeout-seconds)`);
  const containers = containersOf(spec);
  if (containers.length !== 1) problems.push(`${where}: exactly one container expected`);
  for (const c of containers) {
    const ports = (c.ports as Rec[] | undefined) ?? [];
    if (ports.length !== 1) problems.push(`${where}: exactly one container port`);
    for (const p of ports) {
      if (p.name !== undefined && p.name !== 'http1' && p.name !== 'h2c')
        problems.push(`${where}: port name must be http1 or h2c`);
      if ([8012, 8013, 8022, 9090, 9091, 8008].includes(p.containerPort as number))
        problems.push(`${where}: reserved port ${String(p.containerPort)}`);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const port = get(c, probe, 'httpGet', 'port');
        if (port !== undefined && port !== p.containerPort)
          problems.push(`${where}: ${probe} port must be the serving port`);
      }
    }
    for (const e of (c.env as Rec[] | undefined) ?? [])
      if (['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION'].includes(e.name as string))
        problems.push(`${where}: env ${String(e.name)} is reserved`);
    for (const m of (c.volumeMounts as Rec[] | undefined) ?? [])
      if (
        ['/', '/dev', '/dev/log', '/tmp', '/var', '/var/log'].includes(
          String(m.mountPath).replace(/\/+$/, '') || '/',
        )
      )
        problems.push(`${where}: mountPath ${String(m.mountPath)} is reserved by Knative`);
    if (c.readinessProbe === undefined || c.livenessProbe === undefined)
      problems.push(`${where}: needs readiness and liveness probes`);
  }
  return problems;
}

// ---------------------------------------------------------------------------- quantities

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};
function quantity(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) throw new Error(`unparseable quantity ${String(q)}`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

function resourceProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    for (const c of containersOf(podSpecOf(w)!)) {
      const where = `${w.kind} ${w.metadata.name} container ${String(c.name)}`;
      for (const r of ['cpu', 'memory']) {
        const req = get(c, 'resources', 'requests', r);
        const lim = get(c, 'resources', 'limits', r);
        if (req === undefined || lim === undefined) problems.push(`${where}: needs ${r} request and limit`);
        else if (quantity(req) > quantity(lim))
          problems.push(`${where}: ${r} request ${String(req)} > limit ${String(lim)}`);
      }
    }
  }
  return problems;
}

const memoryLimit = (o: KubeObject): number =>
  quantity(get(containersOf(podSpecOf(o)!)[0], 'resources', 'limits', 'memory'));

// ================================================================================== tests

describe('kustomization resolver (test/support/manifests.ts)', () => {
  it('merges strategic-merge patches: maps recursively, null deletes, named lists by name, other lists replace', () => {
    const target = {
      spec: {
        keep: 1,
        drop: true,
        args: ['a', 'b'],
        containers: [
          { name: 'x', image: 'i', env: [{ name: 'A', value: '1' }] },
          { name: 'y', image: 'j' },
        ],
      },
    };
    strategicMerge(target, {
      spec: {
        drop: null,
        args: ['c'],
        containers: [
          { name: 'x', env: [{ name: 'B', value: '2' }] },
          { name: 'z', image: 'k' },
        ],
      },
    });
    expect(target.spec).toEqual({
      keep: 1,
      args: ['c'],
      // Items only the patch has come first, as kustomize (kyaml) orders them.
      containers: [
        { name: 'z', image: 'k' },
        {
          name: 'x',
          image: 'i',
          env: [
            { name: 'B', value: '2' },
            { name: 'A', value: '1' },
          ],
        },
        { name: 'y', image: 'j' },
      ],
    });
    expect(() => strategicMerge({ a: {} }, { a: { $patch: 'delete' } })).toThrow(KustomizeError);
  });

  it('parses image references as kustomize matches them', () => {
    expect(splitImage('kscape')).toEqual({ name: 'kscape' });
    expect(splitImage('registry:5000/ns/kscape:1.2')).toEqual({
      name: 'registry:5000/ns/kscape',
      tag: '1.2',
    });
    expect(splitImage('kscape@sha256:abc')).toEqual({ name: 'kscape', digest: 'sha256:abc' });
  });

  /** kubectl embeds the real kustomize; where it is installed (dev machines, CI), the resolver must agree with it. */
  const kubectl = ((): boolean => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const normalize = (o: KubeObject): unknown => {
    const copy = JSON.parse(JSON.stringify(o)) as KubeObject;
    // kustomize wraps long base64 values; decoders ignore the line breaks.
    if (copy.kind === 'Secret' && copy.data)
      copy.data = Object.fromEntries(
        Object.entries(copy.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, '')]),
      );
    return copy;
  };
  it
    .skipIf(!kubectl)
    .each([
      ...BUILDS.map((b) => b.dir),
      'test/fixtures/manifests/misspelled-subscriber',
      'test/fixtures/manifests/insecure-workload',
      'test/fixtures/manifests/reply-loop',
    ])('builds %s exactly as `kubectl kustomize` does', (dir) => {
    const real = parseAllDocuments(
      execFileSync('kubectl', ['kustomize', join(REPO_ROOT, dir)], { encoding: 'utf8' }),
    )
      .map((d) => d.toJS() as KubeObject)
      .filter((o) => o !== null);
    const mine = new Map(loadKustomization(join(REPO_ROOT, dir)).map((o) => [idOf(o), normalize(o)]));
    expect(new Set(mine.keys())).toEqual(new Set(real.map(idOf)));
    for (const o of real) expect(mine.get(idOf(o)), idOf(o)).toEqual(normalize(o));
  });

  it('fails loudly on kustomization fields it does not implement', () => {
    expect(() => loadKustomization(join(FIXTURES, 'unsupported-field'))).toThrow(
      /unsupported kustomization field `commonLabels`/,
    );
  });

  it('applies namespace only to namespaced kinds and leaves kube-system objects alone', () => {
    const objs = base();
    expect(findObject(objs, 'ClusterRole', 'kscape-scan')?.metadata.namespace).toBeUndefined();
    expect(findObject(objs, 'RoleBinding', 'kscape-storage-api-auth-reader')?.metadata.namespace).toBe(
      'kube-system',
    );
    expect(findObject(objs, 'Broker', 'kscape')?.metadata.namespace).toBe(NAMESPACE);
    expect(findObject(objs, 'Broker', 'kscape')?.metadata.labels?.['app.kubernetes.io/part-of']).toBe(
      'kscape',
    );
  });
});

describe.each(BUILDS)('build $dir', ({ dir, externalSecrets }) => {
  it('builds', () => {
    expect(build(dir).length).toBeGreaterThan(40);
  });

  it('validates every document against its schema (Knative CRDs, kubernetes-models, cert-manager)', () => {
    expect(build(dir).flatMap(validateDocument)).toEqual([]);
  });

  it('resolves every reference and implements lib/events/routes.ts exactly', () => {
    expect(checkReferences(build(dir), { externalSecrets })).toEqual([]);
  });

  it('locks down every workload, or documents why with kscape.io/security-exception', () => {
    expect(checkSecurity(build(dir))).toEqual([]);
  });

  it('gives every container cpu and memory requests and limits, requests within limits', () => {
    expect(resourceProblems(build(dir))).toEqual([]);
  });

  it('passes the rules of the Knative Serving webhook', () => {
    expect(byKind(build(dir), 'Service', 'serving.knative.dev').flatMap(knativeServiceRules)).toEqual([]);
  });

  it('uses only the Knative feature flags knative/README.md documents', () => {
    const readme = readFileSync(join(KNATIVE_DIR, 'README.md'), 'utf8');
    const flags = new Set<string>();
    for (const o of build(dir).filter((x) => x.apiVersion.includes('knative.dev'))) {
      featureFlagsUsed(o, must(KNATIVE.get(`${o.apiVersion}/${o.kind}`), o.kind).schema, flags);
    }
    for (const flag of flags) expect(readme, `feature flag ${flag}`).toContain(flag);
  });

  it('puts everything in one namespace (kube-system only for the auth-reader RoleBinding) and refers to it consistently', () => {
    const objs = build(dir);
    const stray = objs.filter(
      (o) =>
        o.metadata.namespace &&
        o.metadata.namespace !== NAMESPACE &&
        o.metadata.name !== 'kscape-storage-api-auth-reader',
    );
    expect(stray.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    for (const b of [...byKind(objs, 'RoleBinding'), ...byKind(objs, 'ClusterRoleBinding')])
      for (const s of (get(b, 'subjects') as Rec[]) ?? [])
        expect(s.namespace, b.metadata.name).toBe(NAMESPACE);
    for (const a of byKind(objs, 'APIService'))
      expect(get(a, 'spec', 'service', 'namespace')).toBe(NAMESPACE);
    for (const o of objs) {
      const inject = o.metadata.annotations?.['cert-manager.io/inject-ca-from'];
      if (inject) expect(inject.split('/')[0]).toBe(NAMESPACE);
    }
    expect(findObject(objs, 'Namespace', NAMESPACE)).toBeDefined();
  });

  it('runs our image as set by kustomize images:, with only commands the CLI offers', () => {
    for (const w of workloads(build(dir))) {
      for (const c of containersOf(podSpecOf(w)!)) {
        const image = String(c.image);
        expect(image, `${w.metadata.name}: image left unresolved`).not.toBe('kscape');
        if (!image.startsWith(`${IMAGE}:`)) continue;
        // The node agent runs the same CLI through the image's capability-bearing node (checked in
        // 'node-agent' below); everything else runs the ENTRYPOINT as is.
        if (w.kind === 'DaemonSet' && w.metadata.name === 'kscape-node-agent')
          expect((c.command as string[] | undefined)?.at(-1), w.metadata.name).toBe('/app/dist/cli/main.js');
        else expect(c.command, `${w.metadata.name}: must not override the ENTRYPOINT`).toBeUndefined();
        const args = (c.args as string[] | undefined) ?? [];
        const [cmd, sub, ...rest] = args;
        expect(COMPONENT_COMMANDS, `${w.metadata.name}: kscape ${args.join(' ')}`).toContain(cmd);
        if (cmd === 'function')
          expect(FUNCTIONS, `${w.metadata.name}: kscape ${args.join(' ')}`).toContain(sub);
        const flags = cmd === 'function' ? rest : [sub, ...rest].filter((x) => x !== undefined);
        for (const f of flags)
          expect(f, `${w.metadata.name}: unexpected argument`).toMatch(/^--[a-z-]+(=.*)?$/);
      }
    }
  });
});

describe('knative/base', () => {
  const ksvc = (fn: string): KubeObject =>
    must(findObject(base(), 'Service', serviceOfFunction(fn), 'serving.knative.dev'), fn);
  const scaleOf = (fn: string, k: string): number =>
    Number(get(ksvc(fn), 'spec', 'template', 'metadata', 'annotations', `autoscaling.knative.dev/${k}`));

  it('has a Broker kscape, class MTChannelBasedBroker, retrying with exponential backoff into the dead-letter function', () => {
    const broker = must(findObject(base(), 'Broker', 'kscape'), 'broker');
    expect(broker.metadata.annotations?.['eventing.knative.dev/broker.class']).toBe('MTChannelBasedBroker');
    const delivery = get(broker, 'spec', 'delivery') as Rec;
    expect(delivery.retry).toBeGreaterThanOrEqual(3);
    expect(delivery.backoffPolicy).toBe('exponential');
    expect(delivery.backoffDelay).toMatch(/^PT\d+(\.\d+)?S$/);
    expect(get(delivery, 'deadLetterSink', 'ref')).toEqual({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      name: 'kscape-deadletter',
    });
  });

  it("sets the broker's per-attempt timeout no shorter than any subscriber's timeoutSeconds (no duplicate in-flight work)", () => {
    const m = /^PT(?:(\d+)M)?(?:(\d+)S)?$/.exec(
      String(get(findObject(base(), 'Broker', 'kscape'), 'spec', 'delivery', 'timeout')),
    );
    expect(m).not.toBeNull();
    const seconds = Number(m![1] ?? 0) * 60 + Number(m![2] ?? 0);
    for (const s of byKind(base(), 'Service', 'serving.knative.dev'))
      expect(seconds, s.metadata.name).toBeGreaterThanOrEqual(podSpecOf(s)!.timeoutSeconds as number);
  });

  it('has one Knative Service per function, each running `kscape function <name>`', () => {
    const names = byKind(base(), 'Service', 'serving.knative.dev')
      .map((s) => s.metadata.name)
      .sort();
    expect(names).toEqual(FUNCTIONS.map(serviceOfFunction).sort());
    for (const fn of FUNCTIONS) expect(containersOf(podSpecOf(ksvc(fn))!)[0]?.args).toEqual(['function', fn]);
    for (const fn of Object.keys(FUNCTION_ROUTES)) expect(FUNCTIONS as readonly string[]).toContain(fn);
  });

  it('aborts handlers before Knative cuts the request (KSCAPE_HANDLER_TIMEOUT < timeoutSeconds)', () => {
    for (const fn of FUNCTIONS) {
      const spec = podSpecOf(ksvc(fn))!;
      const env = ((containersOf(spec)[0]!.env as Rec[] | undefined) ?? []).find(
        (e) => e.name === 'KSCAPE_HANDLER_TIMEOUT',
      );
      const m = /^(\d+)s$/.exec(String(env?.value));
      expect(m, `${fn}: KSCAPE_HANDLER_TIMEOUT in seconds`).not.toBeNull();
      expect(Number(m![1]), fn).toBeLessThan(spec.timeoutSeconds as number);
      expect(Number(m![1]), fn).toBeGreaterThanOrEqual((spec.timeoutSeconds as number) - 60);
    }
  });

  it('keeps every function but control cluster-local', () => {
    for (const fn of FUNCTIONS) {
      const label = ksvc(fn).metadata.labels?.['networking.knative.dev/visibility'];
      const external = (FUNCTION_ROUTES as Record<string, { external?: boolean }>)[fn]?.external === true;
      expect(label, fn).toBe(external ? undefined : 'cluster-local');
    }
    expect(FUNCTION_ROUTES.control.external).toBe(true);
  });

  it('scales control from 1 and every other function from zero, with bounded max-scale', () => {
    expect(scaleOf('control', 'min-scale')).toBe(1);
    for (const fn of FUNCTIONS.filter((f) => f !== 'control')) expect(scaleOf(fn, 'min-scale'), fn).toBe(0);
    for (const fn of FUNCTIONS) {
      expect(scaleOf(fn, 'max-scale'), fn).toBeGreaterThan(0);
      expect(scaleOf(fn, 'max-scale'), fn).toBeLessThanOrEqual(10);
    }
  });

  it('gives vuln the most memory and one image per replica at a time', () => {
    for (const fn of FUNCTIONS.filter((f) => f !== 'vuln'))
      expect(memoryLimit(ksvc('vuln'))).toBeGreaterThan(memoryLimit(ksvc(fn)));
    expect(podSpecOf(ksvc('vuln'))!.containerConcurrency).toBe(1);
  });

  it('probes every function on the function host health paths', () => {
    for (const fn of FUNCTIONS) {
      const c = containersOf(podSpecOf(ksvc(fn))!)[0];
      expect(get(c, 'readinessProbe', 'httpGet', 'path')).toBe('/health/readiness');
      expect(get(c, 'livenessProbe', 'httpGet', 'path')).toBe('/health/liveness');
      expect(get(c, 'ports', 0, 'containerPort')).toBe(8080);
    }
  });

  it('routes with one exact-type Trigger per consumed type (the local broker reads the same routes)', () => {
    const routes = triggerRoutes(base());
    const expected = Object.entries(FUNCTION_ROUTES).flatMap(([fn, r]) =>
      r.consumes.map((t) => `${t} → ${serviceOfFunction(fn)}`),
    );
    expect(routes.map((r) => `${r.exact.type} → ${r.subscriber}`).sort()).toEqual(expected.sort());
    for (const r of routes) expect(r.broker).toBe('kscape');
    expect(
      routes.find((r) => r.subscriber === 'kscape-schedule' && r.exact.type === 'dev.knative.sources.ping'),
    ).toBeDefined();
  });

  it('schedules posture and vulnerability daily, the vulnerability DB every 6 h and a one-minute tick, as JSON', () => {
    const pings = byKind(base(), 'PingSource', 'sources.knative.dev');
    const byJob = new Map<string, KubeObject>();
    for (const p of pings) {
      expect(get(p, 'spec', 'contentType'), p.metadata.name).toBe('application/json');
      const data = JSON.parse(String(get(p, 'spec', 'data'))) as { job: string };
      expect(PingJob.options as readonly string[], p.metadata.name).toContain(data.job);
      expect(String(get(p, 'spec', 'schedule')).split(' '), p.metadata.name).toHaveLength(5);
      byJob.set(data.job, p);
    }
    expect([...byJob.keys()].sort()).toEqual(['posture', 'tick', 'vulndb', 'vulnerability']);
    const sched = (job: string): string => String(get(byJob.get(job), 'spec', 'schedule'));
    expect(sched('posture')).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(sched('vulnerability')).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(sched('vulndb')).toMatch(/^\d+ \*\/6 \* \* \*$/);
    expect(sched('tick')).toBe('* * * * *');
  });

  it('watches workloads, RBAC, network and namespaces (mode Resource) with get/list/watch on exactly those', () => {
    const src = must(findObject(base(), 'ApiServerSource', 'kscape-cluster-changes'), 'ApiServerSource');
    expect(get(src, 'spec', 'mode')).toBe('Resource');
    const kinds = ((get(src, 'spec', 'resources') as Rec[]) ?? [])
      .map((r) => `${String(r.apiVersion)}/${String(r.kind)}`)
      .sort();
    const expected = [
      'apps/v1/Deployment',
      'apps/v1/StatefulSet',
      'apps/v1/DaemonSet',
      'apps/v1/ReplicaSet',
      'batch/v1/Job',
      'batch/v1/CronJob',
      'v1/Pod',
      'rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'networking.k8s.io/v1/NetworkPolicy',
      'v1/Service',
      'networking.k8s.io/v1/Ingress',
      'v1/Namespace',
    ].sort();
    expect(kinds).toEqual(expected);
    const sa = String(get(src, 'spec', 'serviceAccountName'));
    const binding = byKind(base(), 'ClusterRoleBinding').find((b) => get(b, 'subjects', 0, 'name') === sa);
    const role = must(
      findObject(base(), 'ClusterRole', String(get(binding, 'roleRef', 'name'))),
      'source ClusterRole',
    );
    const granted = new Set<string>();
    for (const rule of get(role, 'rules') as Rec[]) {
      expect([...(rule.verbs as string[])].sort()).toEqual(['get', 'list', 'watch']);
      for (const g of rule.apiGroups as string[])
        for (const r of rule.resources as string[]) granted.add(`${g}/${r}`);
    }
    const wanted = expected.map((k) => {
      const parts = k.split('/');
      const kind = parts.pop()!;
      parts.pop();
      const plural = kind.toLowerCase().endsWith('y')
        ? `${kind.toLowerCase().slice(0, -1)}ies`
        : kind.toLowerCase().endsWith('s')
          ? `${kind.toLowerCase()}es`
          : `${kind.toLowerCase()}s`;
      return `${parts[0] ?? ''}/${plural}`;
    });
    expect([...granted].sort()).toEqual(wanted.sort());
  });

  it('binds K_SINK into node-agent and into every function that emits rather than replies', () => {
    const subjects = byKind(base(), 'SinkBinding', 'sources.knative.dev').map(
      (b) => `${String(get(b, 'spec', 'subject', 'kind'))}/${String(get(b, 'spec', 'subject', 'name'))}`,
    );
    expect(subjects).toContain('DaemonSet/kscape-node-agent');
    for (const [fn, r] of Object.entries(FUNCTION_ROUTES) as [
      string,
      { produces: readonly string[]; external?: boolean },
    ][]) {
      // One reply per event is all a function can return; fan-out and externally triggered events need K_SINK.
      if (r.produces.length > 1 || r.external)
        expect(subjects, fn).toContain(`Service/${serviceOfFunction(fn)}`);
    }
  });

  describe('RBAC', () => {
    const rolesOfSa = (sa: string): KubeObject[] =>
      [...byKind(base(), 'RoleBinding'), ...byKind(base(), 'ClusterRoleBinding')]
        .filter((b) =>
          ((get(b, 'subjects') as Rec[]) ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === sa),
        )
        .map((b) => findObject(base(), String(get(b, 'roleRef', 'kind')), String(get(b, 'roleRef', 'name'))))
        .filter((r): r is KubeObject => r !== undefined);
    const rules = (sa: string): Rec[] => rolesOfSa(sa).flatMap((r) => (get(r, 'rules') as Rec[]) ?? []);
    const can = (sa: string, verb: string, group: string, resource: string): boolean =>
      rules(sa).some(
        (r) =>
          (r.verbs as string[]).some((v) => v === verb || v === '*') &&
          (r.apiGroups as string[]).some((g) => g === group || g === '*') &&
          (r.resources as string[]).some((x) => x === resource || x === '*'),
      );
    const spdx = 'spdx.softwarecomposition.kubescape.io';

    it('never grants wildcard verbs, and resources wildcards only for reading results', () => {
      for (const role of [...byKind(base(), 'Role'), ...byKind(base(), 'ClusterRole')])
        for (const r of (get(role, 'rules') as Rec[]) ?? []) {
          expect(r.verbs as string[], role.metadata.name).not.toContain('*');
          expect(r.apiGroups as string[], role.metadata.name).not.toContain('*');
          if ((r.resources as string[]).includes('*')) {
            expect(r.apiGroups, role.metadata.name).toEqual([spdx]);
            expect([...(r.verbs as string[])].sort(), role.metadata.name).toEqual(['get', 'list', 'watch']);
          }
        }
    });

    it('lets nobody list or watch secrets, and only vuln get them (named image pull secrets)', () => {
      for (const sa of byKind(base(), 'ServiceAccount').map((s) => s.metadata.name)) {
        expect(can(sa, 'list', '', 'secrets'), sa).toBe(false);
        expect(can(sa, 'watch', '', 'secrets'), sa).toBe(false);
        expect(can(sa, 'get', '', 'secrets'), sa).toBe(sa === 'kscape-vuln');
      }
    });

    it('lets scan and vuln write only their own result kinds, schedule delete stale ones, export read them', () => {
      expect(can('kscape-scan', 'create', spdx, 'workloadconfigurationscans')).toBe(true);
      expect(can('kscape-scan', 'create', spdx, 'vulnerabilitymanifests')).toBe(false);
      expect(can('kscape-vuln', 'create', spdx, 'vulnerabilitymanifests')).toBe(true);
      expect(can('kscape-vuln', 'update', spdx, 'sbomspdxv2p3s')).toBe(true);
      expect(can('kscape-vuln', 'create', spdx, 'workloadconfigurationscans')).toBe(false);
      expect(can('kscape-schedule', 'delete', spdx, 'vulnerabilitymanifests')).toBe(true);
      expect(can('kscape-schedule', 'create', spdx, 'vulnerabilitymanifests')).toBe(false);
      expect(can('kscape-schedule', 'list', '', 'pods')).toBe(true);
      expect(can('kscape-schedule', 'list', 'apps', 'deployments')).toBe(true);
      expect(can('kscape-export', 'get', spdx, 'vulnerabilitymanifests')).toBe(true);
      expect(can('kscape-export', 'create', spdx, 'vulnerabilitymanifests')).toBe(false);
      for (const sa of [
        'kscape-scan',
        'kscape-vuln',
        'kscape-schedule',
        'kscape-export',
        'kscape-node-agent',
        'kscape-apiserver-source',
      ])
        for (const verb of ['create', 'update', 'patch', 'delete'])
          for (const [g, r] of [
            ['', 'pods'],
            ['apps', 'deployments'],
            ['rbac.authorization.k8s.io', 'clusterroles'],
          ] as const)
            expect(can(sa, verb, g, r), `${sa} ${verb} ${r}`).toBe(false);
    });

    it('lets scan read the cluster without watching it', () => {
      for (const [g, r] of [
        ['', 'pods'],
        ['apps', 'deployments'],
        ['rbac.authorization.k8s.io', 'clusterrolebindings'],
        ['networking.k8s.io', 'networkpolicies'],
        ['', 'nodes'],
      ] as const) {
        expect(can('kscape-scan', 'list', g, r), r).toBe(true);
        expect(can('kscape-scan', 'watch', g, r), r).toBe(false);
      }
    });

    it('lets control patch exactly the kscape PingSources, in its own namespace only', () => {
      const roles = rolesOfSa('kscape-control');
      expect(roles.map((r) => r.kind)).toEqual(['Role']);
      const rule = (get(roles[0], 'rules') as Rec[])[0]!;
      expect(rule.resources).toEqual(['pingsources']);
      expect([...(rule.resourceNames as string[])].sort()).toEqual(
        byKind(base(), 'PingSource')
          .map((p) => p.metadata.name)
          .sort(),
      );
      expect(rule.verbs as string[]).toContain('patch');
      expect(rule.verbs as string[]).not.toContain('create');
      expect(rule.verbs as string[]).not.toContain('delete');
    });

    it('mounts a token exactly where the API is used (automount true ⇔ some role bound)', () => {
      for (const sa of byKind(base(), 'ServiceAccount')) {
        const users = workloads(base()).filter((w) => podSpecOf(w)!.serviceAccountName === sa.metadata.name);
        const bound = rolesOfSa(sa.metadata.name).length > 0;
        expect(get(sa, 'automountServiceAccountToken'), sa.metadata.name).toBe(bound);
        for (const w of users)
          expect(podSpecOf(w)!.automountServiceAccountToken, w.metadata.name).toBe(bound);
      }
      expect(rolesOfSa('kscape-deadletter')).toEqual([]);
    });

    it('explains every Role and ClusterRole in knative/README.md', () => {
      const readme = readFileSync(join(KNATIVE_DIR, 'README.md'), 'utf8');
      for (const r of [...byKind(base(), 'Role'), ...byKind(base(), 'ClusterRole')])
        expect(readme, r.metadata.name).toContain(`\`${r.metadata.name}\``);
      for (const builtIn of ['system:auth-delegator', 'extension-apiserver-authentication-reader'])
        expect(readme).toContain(builtIn);
    });
  });

  describe('storage-api', () => {
    const deploy = (): KubeObject =>
      must(findObject(base(), 'Deployment', 'kscape-storage-api'), 'storage-api Deployment');

    it('runs 2 replicas spread over nodes, protected by a PodDisruptionBudget', () => {
      expect(get(deploy(), 'spec', 'replicas')).toBe(2);
      expect(get(deploy(), 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
      const term = get(
        podSpecOf(deploy()),
        'affinity',
        'podAntiAffinity',
        'preferredDuringSchedulingIgnoredDuringExecution',
        0,
        'podAffinityTerm',
      );
      expect(get(term, 'topologyKey')).toBe('kubernetes.io/hostname');
      expect(get(term, 'labelSelector', 'matchLabels')).toEqual(
        get(deploy(), 'spec', 'selector', 'matchLabels'),
      );
      const pdb = must(findObject(base(), 'PodDisruptionBudget', 'kscape-storage-api'), 'PDB');
      expect(get(pdb, 'spec', 'minAvailable')).toBe(1);
    });

    it('serves HTTPS on 8443 behind Service port 443, probed on /livez and /readyz, with DATABASE_URL from kscape-postgres', () => {
      const c = containersOf(podSpecOf(deploy())!)[0]!;
      expect(c.args).toEqual(['storage-api']);
      expect(get(c, 'ports', 0)).toEqual({ name: 'https', containerPort: 8443 });
      expect(get(c, 'livenessProbe', 'httpGet')).toMatchObject({
        path: '/livez',
        scheme: 'HTTPS',
        port: 'https',
      });
      expect(get(c, 'readinessProbe', 'httpGet')).toMatchObject({
        path: '/readyz',
        scheme: 'HTTPS',
        port: 'https',
      });
      const dbUrl = ((c.env as Rec[]) ?? []).find((e) => e.name === 'DATABASE_URL');
      expect(get(dbUrl, 'valueFrom', 'secretKeyRef')).toEqual({
        name: 'kscape-postgres',
        key: 'DATABASE_URL',
      });
      const svc = must(findObject(base(), 'Service', 'kscape-storage-api', ''), 'Service');
      expect(get(svc, 'spec', 'ports', 0)).toMatchObject({ port: 443, targetPort: 'https' });
    });

    it('registers APIService v1beta1.spdx.softwarecomposition.kubescape.io with delegated auth RBAC', () => {
      const api = must(
        findObject(base(), 'APIService', 'v1beta1.spdx.softwarecomposition.kubescape.io'),
        'APIService',
      );
      expect(get(api, 'spec')).toMatchObject({
        group: 'spdx.softwarecomposition.kubescape.io',
        version: 'v1beta1',
        service: { name: 'kscape-storage-api', namespace: NAMESPACE, port: 443 },
      });
      expect(get(api, 'spec', 'groupPriorityMinimum')).toBeGreaterThan(0);
      expect(get(api, 'spec', 'versionPriority')).toBeGreaterThan(0);
      // Base: no cert-manager assumed (documented); production turns verification on.
      expect(get(api, 'spec', 'insecureSkipTLSVerify')).toBe(true);
      const delegator = byKind(base(), 'ClusterRoleBinding').find(
        (b) => get(b, 'roleRef', 'name') === 'system:auth-delegator',
      );
      expect(get(delegator, 'subjects', 0)).toMatchObject({
        kind: 'ServiceAccount',
        name: 'kscape-storage-api',
      });
      const reader = byKind(base(), 'RoleBinding').find(
        (b) => get(b, 'roleRef', 'name') === 'extension-apiserver-authentication-reader',
      );
      expect(reader?.metadata.namespace).toBe('kube-system');
      expect(get(reader, 'subjects', 0)).toMatchObject({
        kind: 'ServiceAccount',
        name: 'kscape-storage-api',
        namespace: NAMESPACE,
      });
    });
  });

  describe('node-agent', () => {
    const ds = (): KubeObject => must(findObject(base(), 'DaemonSet', 'kscape-node-agent'), 'DaemonSet');

    it('sees host processes read-only: / at /host and /proc at /host/proc, no hostPID or host network', () => {
      const spec = podSpecOf(ds())!;
      // /host/proc shows the node's PID namespace without sharing it (daemonset.yaml says why).
      expect(spec.hostPID).toBeUndefined();
      expect(spec.hostNetwork).toBeUndefined();
      expect(spec.hostIPC).toBeUndefined();
      const c = containersOf(spec)[0]!;
      expect(c.args).toEqual(['node-agent']);
      const mounts = new Map(((c.volumeMounts as Rec[]) ?? []).map((m) => [m.mountPath, m]));
      const vols = new Map(((spec.volumes as Rec[]) ?? []).map((v) => [v.name, v]));
      for (const [path, host] of [
        ['/host', '/'],
        ['/host/proc', '/proc'],
      ] as const) {
        const m = must(mounts.get(path), path);
        expect(m.readOnly, path).toBe(true);
        expect(get(vols.get(m.name as string), 'hostPath', 'path'), path).toBe(host);
      }
      for (const m of mounts.values())
        if (get(vols.get(m.name as string), 'hostPath')) expect(m.readOnly, String(m.mountPath)).toBe(true);
      for (const v of vols.values())
        if (get(v, 'hostPath')) expect(['/', '/proc']).toContain(get(v, 'hostPath', 'path'));
      expect(podTemplateMetaOf(ds())?.annotations).toHaveProperty([SECURITY_EXCEPTION_ANNOTATION]);
    });

    it('runs as uid 65532, non-root, read-only root filesystem, no privilege escalation, ALL dropped but SYS_PTRACE and DAC_READ_SEARCH', () => {
      const spec = podSpecOf(ds())!;
      const c = containersOf(spec)[0]!;
      const sc = get(c, 'securityContext') as Rec;
      expect(sc).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(sc.privileged).toBeUndefined();
      expect(get(spec, 'securityContext', 'runAsNonRoot')).toBe(true);
      expect(get(spec, 'securityContext', 'runAsUser')).toBe(65532);
      expect(get(c, 'securityContext', 'capabilities')).toEqual({
        drop: ['ALL'],
        add: ['SYS_PTRACE', 'DAC_READ_SEARCH'],
      });
      // The image's USER is the same uid (files are root-owned and only readable to it).
      const user = /^USER (\d+)(?::(\d+))?$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
      expect(Number(user?.[1])).toBe(65532);
    });

    it('runs the capability-bearing node of the image, with exactly the added capabilities, heap bounds as flags', () => {
      const c = containersOf(podSpecOf(ds())!)[0]!;
      const command = c.command as string[];
      const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
      // The final stage itself sets the file capabilities on command[0] (a COPY between stages may
      // drop the security.capability attribute, depending on the builder).
      const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
      const setcap = /setcap (\S+)=ep (\S+)/.exec(finalStage);
      expect(setcap, 'setcap in the final stage of the Dockerfile').not.toBeNull();
      expect(command[0]).toBe(setcap![2]);
      // File capabilities = the capabilities added in the manifest (and the bounding set has them:
      // drop ALL leaves only the added ones, and a file capability outside it fails the exec).
      const fileCaps = setcap![1]!.split(',').map((x) => x.replace(/^cap_/, '').toUpperCase()).sort();
      expect(fileCaps).toEqual([...(get(c, 'securityContext', 'capabilities', 'add') as string[])].sort());
      // The same CLI the ENTRYPOINT runs; V8 flags before it.
      const entry = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(dockerfile)![1]!) as string[];
      expect(command[command.length - 1]).toBe(entry[1]);
      const flags = command.slice(1, -1);
      expect(flags).toContain('--max-old-space-size=64');
      for (const f of flags) expect(f).toMatch(/^--[a-z-]+(=\S+)?$/);
      // Secure-execution mode (file capabilities): node ignores NODE_OPTIONS, so none is set.
      expect(((c.env as Rec[]) ?? []).map((e) => e.name)).not.toContain('NODE_OPTIONS');
    });

    it('answers health on 7888, runs on control-plane nodes too', () => {
      const c = containersOf(podSpecOf(ds())!)[0]!;
      expect(get(c, 'ports', 0, 'containerPort')).toBe(7888);
      expect(get(c, 'livenessProbe', 'httpGet', 'port')).toBe('health');
      expect(get(c, 'readinessProbe', 'httpGet', 'port')).toBe('health');
      const tolerations = (podSpecOf(ds())!.tolerations as Rec[]).map((t) => t.key);
      expect(tolerations).toContain('node-role.kubernetes.io/control-plane');
    });
  });
});

describe('knative/overlays/production (cert-manager)', () => {
  const objs = (): KubeObject[] => build('knative/overlays/production');

  it('verifies the storage API certificate: CA injected by cert-manager, insecureSkipTLSVerify removed', () => {
    const api = must(
      findObject(objs(), 'APIService', 'v1beta1.spdx.softwarecomposition.kubescape.io'),
      'APIService',
    );
    expect(get(api, 'spec', 'insecureSkipTLSVerify')).toBeUndefined();
    const [ns, certName] = String(api.metadata.annotations?.['cert-manager.io/inject-ca-from']).split('/');
    const cert = must(findObject(objs(), 'Certificate', String(certName), 'cert-manager.io'), 'Certificate');
    expect(cert.metadata.namespace).toBe(ns);
    expect(get(cert, 'spec', 'dnsNames') as string[]).toContain(
      `${String(get(api, 'spec', 'service', 'name'))}.${String(get(api, 'spec', 'service', 'namespace'))}.svc`,
    );
    const issuer = must(
      findObject(objs(), 'Issuer', String(get(cert, 'spec', 'issuerRef', 'name')), 'cert-manager.io'),
      'Issuer',
    );
    const caCert = byKind(objs(), 'Certificate', 'cert-manager.io').find(
      (c) => get(c, 'spec', 'secretName') === get(issuer, 'spec', 'ca', 'secretName'),
    );
    expect(get(caCert, 'spec', 'isCA')).toBe(true);
  });

  it('mounts the certificate into the storage API and points KSCAPE_STORAGE_TLS_* at it', () => {
    const d = must(findObject(objs(), 'Deployment', 'kscape-storage-api'), 'Deployment');
    const spec = podSpecOf(d)!;
    const c = containersOf(spec)[0]!;
    const env = new Map(((c.env as Rec[]) ?? []).map((e) => [e.name, e.value]));
    expect(env.get('DATABASE_URL')).toBeUndefined(); // valueFrom, kept from the base
    expect(((c.env as Rec[]) ?? []).some((e) => e.name === 'DATABASE_URL')).toBe(true);
    const mount = ((c.volumeMounts as Rec[]) ?? []).find((m) => m.name === 'tls');
    expect(env.get('KSCAPE_STORAGE_TLS_CERT_FILE')).toBe(`${String(mount?.mountPath)}/tls.crt`);
    expect(env.get('KSCAPE_STORAGE_TLS_KEY_FILE')).toBe(`${String(mount?.mountPath)}/tls.key`);
    const vol = ((spec.volumes as Rec[]) ?? []).find((v) => v.name === 'tls');
    const cert = byKind(objs(), 'Certificate', 'cert-manager.io').find(
      (x) => get(x, 'spec', 'secretName') === get(vol, 'secret', 'secretName'),
    );
    expect(cert).toBeDefined();
    // The patch merged into the base container rather than replacing it.
    expect(c.args).toEqual(['storage-api']);
    expect(get(c, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
  });
});

describe('knative/overlays/with-postgres', () => {
  const objs = (): KubeObject[] => build('knative/overlays/with-postgres');

  it('generates Secret kscape-postgres whose DATABASE_URL points at the PostgreSQL Service', () => {
    const secret = must(findObject(objs(), 'Secret', 'kscape-postgres'), 'Secret');
    expect(secret.metadata.namespace).toBe(NAMESPACE);
    const data = get(secret, 'data') as Record<string, string>;
    const decoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    const url = new URL(must(decoded.DATABASE_URL, 'DATABASE_URL'));
    const svc = must(findObject(objs(), 'Service', 'kscape-postgres', ''), 'postgres Service');
    expect(url.hostname).toBe(`kscape-postgres.${NAMESPACE}.svc`);
    expect(Number(url.port)).toBe(get(svc, 'spec', 'ports', 0, 'port'));
    expect(decodeURIComponent(url.username)).toBe(decoded.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(decoded.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${String(decoded.POSTGRES_DB)}`);
  });

  it('runs the official postgres image as uid 999 on a PVC, with probes, reachable only by storage-api and vuln', () => {
    const sts = must(findObject(objs(), 'StatefulSet', 'kscape-postgres'), 'StatefulSet');
    expect(get(sts, 'spec', 'replicas')).toBe(1);
    const spec = podSpecOf(sts)!;
    expect(get(spec, 'securityContext', 'runAsUser')).toBe(999);
    const c = containersOf(spec)[0]!;
    expect(splitImage(String(c.image)).name).toBe('docker.io/library/postgres');
    expect(c.readinessProbe).toBeDefined();
    expect(c.livenessProbe).toBeDefined();
    const claim = get(sts, 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name');
    expect(((c.volumeMounts as Rec[]) ?? []).some((m) => m.name === claim)).toBe(true);
    const np = must(findObject(objs(), 'NetworkPolicy', 'kscape-postgres'), 'NetworkPolicy');
    const allowed = get(
      np,
      'spec',
      'ingress',
      0,
      'from',
      0,
      'podSelector',
      'matchExpressions',
      0,
      'values',
    ) as string[];
    // Exactly the workloads that get DATABASE_URL from the Secret may connect.
    const clients = workloads(objs())
      .filter((w) =>
        containersOf(podSpecOf(w)!).some((c) =>
          ((c.env as Rec[] | undefined) ?? []).some(
            (e) =>
              e.name === 'DATABASE_URL' && get(e, 'valueFrom', 'secretKeyRef', 'name') === 'kscape-postgres',
          ),
        ),
      )
      .map((w) => String(podTemplateMetaOf(w)?.labels?.['app.kubernetes.io/name']));
    expect(clients.length).toBeGreaterThanOrEqual(2);
    expect([...allowed].sort()).toEqual(clients.sort());
  });
});

describe('schema validation catches broken documents', () => {
  const clone = (o: KubeObject): KubeObject => structuredClone(o);
  const ksvc = (): KubeObject =>
    clone(must(findObject(base(), 'Service', 'kscape-scan', 'serving.knative.dev'), 'scan'));

  it('rejects a misspelled field in a Knative Service (strict field validation)', () => {
    const s = ksvc();
    const c = containersOf(podSpecOf(s)!)[0]!;
    c.readinesProbe = c.readinessProbe;
    delete c.readinessProbe;
    expect(validateDocument(s)).toContainEqual(expect.stringContaining('readinesProbe'));
    expect(knativeServiceRules(s)).toContainEqual(
      expect.stringContaining('needs readiness and liveness probes'),
    );
  });

  it('rejects wrong types in Knative sources and unknown kinds', () => {
    const p = clone(must(findObject(base(), 'PingSource', 'kscape-tick'), 'tick'));
    (p.spec as Rec).schedule = 5;
    expect(validateDocument(p)).toContainEqual(expect.stringMatching(/\/spec\/schedule must be string/));
    expect(
      validateDocument({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: NAMESPACE },
      }),
    ).toContainEqual(expect.stringContaining('unknown kind'));
  });

  it('rejects invalid Kubernetes values (kubernetes-models) and bad names', () => {
    const d = clone(must(findObject(base(), 'Deployment', 'kscape-storage-api'), 'deployment'));
    (containersOf(podSpecOf(d)!)[0]!.resources as Rec).limits = { cpu: 'lots' };
    d.metadata.name = 'Kscape_Storage';
    const problems = validateDocument(d);
    expect(problems).toContainEqual(expect.stringContaining('limits/cpu'));
    expect(problems).toContainEqual(expect.stringContaining('not a DNS-1123 subdomain'));
  });

  it('rejects Knative webhook violations: /tmp mounts, reserved env, scale annotations on the Service', () => {
    const s = ksvc();
    const c = containersOf(podSpecOf(s)!)[0]!;
    (c.volumeMounts as Rec[])[0]!.mountPath = '/tmp';
    (c.env as Rec[]).push({ name: 'PORT', value: '9000' });
    s.metadata.annotations = { 'autoscaling.knative.dev/max-scale': '3' };
    const problems = knativeServiceRules(s);
    expect(problems).toContainEqual(expect.stringContaining('mountPath /tmp is reserved'));
    expect(problems).toContainEqual(expect.stringContaining('env PORT is reserved'));
    expect(problems).toContainEqual(expect.stringContaining('must be on spec.template.metadata'));
  });
});

describe('reference checks catch broken manifests (fixtures)', () => {
  it('rejects a Trigger whose subscriber does not exist', () => {
    const problems = checkReferences(loadKustomization(join(FIXTURES, 'misspelled-subscriber')), {
      externalSecrets: ['kscape-postgres'],
    });
    expect(problems).toContainEqual(
      expect.stringMatching(
        /Trigger kubescape\/kscape-scan-configscan-requested: subscriber Knative Service kscape-scna does not exist/,
      ),
    );
    // ... and the route it should have implemented is reported missing.
    expect(problems).toContainEqual(
      expect.stringMatching(/function scan consumes io\.kubescape\.configscan\.requested but no Trigger/),
    );
  });

  it("rejects a Trigger that routes a function's own reply back to it", () => {
    const problems = checkReferences(loadKustomization(join(FIXTURES, 'reply-loop')), {
      externalSecrets: ['kscape-postgres'],
    });
    expect(problems).toContainEqual(
      expect.stringMatching(/^loop: function vuln produces io\.kubescape\.vulnscan\.completed/),
    );
  });

  it('rejects a workload that is not locked down and does not say why', () => {
    const problems = checkSecurity(loadKustomization(join(FIXTURES, 'insecure-workload')));
    expect(problems).toContainEqual(
      'Deployment kscape-storage-api container storage-api: readOnlyRootFilesystem must be true',
    );
    expect(problems).toContainEqual(
      'Deployment kscape-storage-api container storage-api: allowPrivilegeEscalation must be false',
    );
  });
});

describe('knative/ files', () => {
  it('uses every YAML file under knative/ in some build (no orphaned manifest)', () => {
    const used = new Set<string>();
    for (const { dir } of BUILDS) for (const f of filesUsedBy(join(REPO_ROOT, dir))) used.add(f);
    const orphans = yamlFilesUnder(KNATIVE_DIR).filter((f) => !used.has(join(KNATIVE_DIR, f)));
    expect(orphans).toEqual([]);
  });

  it('documents deploying, schedules, broker class, the DATABASE_URL Secret and the APIService TLS choice', () => {
    const readme = readFileSync(join(KNATIVE_DIR, 'README.md'), 'utf8');
    for (const needle of [
      'kubectl apply -k knative/base',
      'kubectl apply -k knative/overlays/with-postgres',
      'kubectl apply -k knative/overlays/production',
      'eventing.knative.dev/broker.class',
      'Kafka',
      'RabbitMQBroker',
      'kscape-postgres',
      'DATABASE_URL',
      'cert-manager.io/inject-ca-from',
      'insecureSkipTLSVerify',
      'docker build',
    ])
      expect(readme, needle).toContain(needle);
    expect(readme).toMatch(/kubectl (-n \S+ )?patch pingsource/);
    for (const p of byKind(base(), 'PingSource')) expect(readme, p.metadata.name).toContain(p.metadata.name);
  });

  it('uses only event types of the catalog in Triggers', () => {
    const types = new Set<string>(Object.values(EVENT_TYPES));
    for (const r of triggerRoutes(base())) expect(types.has(String(r.exact.type)), r.trigger).toBe(true);
  });
});

describe('commands in the manifests exist in the CLI', () => {
  /**
   * Component commands the manifests use that the CLI does not register yet, with the reason.
   * Only consulted when the CLI lacks the command: once cli/main.ts registers it, it is checked
   * like every other command and the entry can go.
   */
  const NOT_YET_IN_CLI: Record<string, string> = { 'node-agent': 'node-agent/ has no entrypoint yet' };
  const used = (): Set<string> => {
    const out = new Set<string>();
    for (const { dir } of BUILDS)
      for (const w of workloads(build(dir)))
        for (const c of containersOf(podSpecOf(w)!))
          if (String(c.image).startsWith(`${IMAGE}:`))
            out.add(((c.args as string[] | undefined) ?? []).slice(0, 2).join(' '));
    return out;
  };

  it('runs only functions the function registry hosts and commands cli/main.ts registers', async () => {
    const { buildProgram } = await import('../cli/main.js');
    const { HOSTED_FUNCTIONS } = await import('../functions/registry.js');
    const commands = new Set(buildProgram().commands.map((c) => c.name()));
    expect([...HOSTED_FUNCTIONS].sort()).toEqual([...FUNCTIONS].sort());
    for (const line of used()) {
      const [cmd, sub] = line.split(' ');
      if (!commands.has(cmd!) && NOT_YET_IN_CLI[cmd!]) continue;
      expect(commands, `kscape ${line}`).toContain(cmd);
      if (cmd === 'function') expect(HOSTED_FUNCTIONS as readonly string[], `kscape ${line}`).toContain(sub);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const finalStage = instructions.slice(instructions.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
  const one = (keyword: string): string => {
    const found = finalStage.filter((l) => l.startsWith(`${keyword} `));
    expect(found, keyword).toHaveLength(1);
    return found[0]!.slice(keyword.length + 1).trim();
  };

  it('has an ENTRYPOINT running node on the compiled CLI, whose TypeScript source exists', () => {
    const entry = JSON.parse(one('ENTRYPOINT')) as string[];
    expect(entry[0]).toBe('node');
    const m = /^\/app\/dist\/(.+)\.js$/.exec(String(entry[1]));
    expect(m, String(entry[1])).not.toBeNull();
    expect(existsSync(join(REPO_ROOT, `${m![1]}.ts`)), `${m![1]}.ts`).toBe(true);
    expect(entry[1]).toBe('/app/dist/cli/main.js');
    expect(JSON.parse(one('CMD'))).toEqual(['--help']);
  });

  it('builds in a separate stage from an exact node 22 slim tag: npm ci, npm run build, prune dev dependencies', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const arg = instructions.find((l) => l.startsWith('ARG NODE_IMAGE='));
    expect(arg).toMatch(/^ARG NODE_IMAGE=node:22\.\d+\.\d+-[a-z]+-slim(@sha256:[a-f0-9]{64})?$/);
    const run = instructions.filter((l) => l.startsWith('RUN ')).join('\n');
    expect(run).toContain('npm ci');
    expect(run).toContain('npm run build');
    expect(run).toMatch(/npm prune --omit=dev/);
  });

  it('runs as a numeric non-root user from /app, production mode, writing only under /tmp', () => {
    const user = one('USER');
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(one('WORKDIR')).toBe('/app');
    const env = finalStage.filter((l) => l.startsWith('ENV ')).join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/HOME=\/tmp/);
    for (const path of ['dist', 'node_modules', 'package.json'])
      expect(finalStage.join('\n')).toMatch(new RegExp(`COPY .*${path}`));
  });

  it('copies every migrations folder next to the compiled module that reads it', () => {
    const dirs: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
        if (!e.isDirectory() || ['node_modules', 'dist', '.git', '.kscape'].includes(e.name)) continue;
        const p = dir ? `${dir}/${e.name}` : e.name;
        if (e.name === 'migrations') dirs.push(p);
        else walk(p);
      }
    };
    walk('');
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) expect(finalStage.join('\n'), d).toContain(`COPY ${d} ./dist/${d}`);
  });

  it('keeps local and generated files out of the build context', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git', '.kscape']) expect(ignore).toContain(p);
  });
});
