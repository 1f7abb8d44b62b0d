/**
 * A small, honest `kustomize build` for the manifests in knative/, plus the cross-object checks the
 * manifest tests run on its output.
 *
 * There is no kustomize binary on the development machines or in CI, so this resolver implements
 * exactly the subset of kustomize that knative/ uses, with kustomize's semantics, and throws a
 * `KustomizeError` naming the file and field for anything else (instead of silently producing a
 * different result than `kubectl apply -k` would):
 *
 *   - `resources`: files (multi-document YAML) and directories (which must hold a kustomization,
 *     as in kustomize); remote resources are rejected;
 *   - `components` (kind Component): their resources, generators and patches are applied to the
 *     including kustomization's resources, in order;
 *   - `secretGenerator` / `configMapGenerator` with `literals`, `envs`, `files`, and
 *     `options.disableNameSuffixHash: true` only (content-hash names would need kustomize's name
 *     reference rewriting, which this resolver does not implement);
 *   - `patches` with `path` or inline `patch` holding a strategic-merge patch that names its target
 *     by apiVersion/kind/name (no `target` selectors, no JSON 6902);
 *   - `namespace` (namespaced kinds only; ServiceAccount subjects in namespace `default` follow, as
 *     kustomize's `setRoleBindingSubjects: defaultOnly`);
 *   - `labels` with `includeSelectors: false` (metadata labels only);
 *   - `images` (`newName`, `newTag`, `digest`) on every `containers`/`initContainers` list, as
 *     kustomize's image transformer does.
 * Transformers run in kustomize's order: patches, namespace, labels, images.
 *
 * `loadKustomization(dir)` is also what the local broker of `kscape dev` uses to route events with
 * the very Triggers that get deployed (see `triggerRoutes`). It depends only on `yaml` and the
 * event catalog, so it is safe to import outside tests.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { FUNCTION_ROUTES } from '../../lib/events/routes.js';
import { EVENT_TYPES } from '../../lib/events/catalog.js';

export interface ObjectMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** One Kubernetes object of the build output. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
  [key: string]: unknown;
}

export class KustomizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Source tracking (error messages and the "every file is used" test)

const SOURCES = new WeakMap<object, string>();
/** The file an object of the build output was read from (or the kustomization that generated it). */
export function sourceOf(obj: KubeObject): string | undefined {
  return SOURCES.get(obj);
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Kinds that are cluster-scoped: the namespace transformer leaves them alone. */
export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'RuntimeClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ClusterIssuer',
  'IngressClass',
]);

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'labels',
  'images',
  'patches',
  'secretGenerator',
  'configMapGenerator',
]);

const HINTS: Record<string, string> = {
  commonLabels:
    'use `labels` with includeSelectors: false (commonLabels also rewrites selectors, which are immutable on Deployments/DaemonSets)',
  patchesStrategicMerge: 'use `patches` with `path`',
  patchesJson6902: 'write a strategic-merge patch under `patches`',
  bases: 'list the base under `resources`',
};

interface Kustomization {
  file: string;
  dir: string;
  kind: 'Kustomization' | 'Component';
  raw: JsonObject;
}

function readKustomization(dir: string): Kustomization {
  const name = KUSTOMIZATION_FILES.find((f) => existsSync(join(dir, f)));
  if (!name)
    throw new KustomizeError(`${dir}: no kustomization.yaml (a directory resource must be a kustomization)`);
  const file = join(dir, name);
  const docs = parseYamlFile(file);
  if (docs.length !== 1 || !isObject(docs[0]))
    throw new KustomizeError(`${file}: expected exactly one YAML mapping`);
  const raw = docs[0];
  const kind = raw.kind ?? 'Kustomization';
  if (kind !== 'Kustomization' && kind !== 'Component')
    throw new KustomizeError(`${file}: unknown kind ${String(kind)}`);
  const expectedApi =
    kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
  if (raw.apiVersion !== undefined && raw.apiVersion !== expectedApi)
    throw new KustomizeError(
      `${file}: ${kind} must have apiVersion ${expectedApi}, got ${String(raw.apiVersion)}`,
    );
  for (const key of Object.keys(raw)) {
    if (!SUPPORTED_FIELDS.has(key)) {
      const hint = HINTS[key] ? `; ${HINTS[key]}` : '';
      throw new KustomizeError(
        `${file}: unsupported kustomization field \`${key}\` (test/support/manifests.ts)${hint}`,
      );
    }
  }
  return { file, dir, kind, raw };
}

function parseYamlFile(file: string): Json[] {
  const text = readFileSync(file, 'utf8');
  // YAML 1.2 core schema (the `yaml` default). Manifests avoid the literals YAML 1.1 (kubectl) reads
  // differently, e.g. leading-zero octal modes are written in decimal.
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const out: Json[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0)
      throw new KustomizeError(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Json;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function asKubeObject(value: Json, file: string): KubeObject {
  if (!isObject(value)) throw new KustomizeError(`${file}: a document is not a mapping`);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string')
    throw new KustomizeError(`${file}: a document lacks apiVersion or kind`);
  if (kind === 'List' || kind.endsWith('List'))
    throw new KustomizeError(`${file}: ${kind} documents are not supported`);
  if (!isObject(metadata) || typeof metadata.name !== 'string' || metadata.name === '')
    throw new KustomizeError(`${file}: ${kind} without metadata.name`);
  const obj = value as unknown as KubeObject;
  SOURCES.set(obj, file);
  return obj;
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Kustomize's resource id: group, kind, namespace, name (the version does not distinguish). */
export function idOf(obj: KubeObject): string {
  const ns = CLUSTER_SCOPED_KINDS.has(obj.kind) ? '' : (obj.metadata.namespace ?? '');
  return `${groupOf(obj.apiVersion)}/${obj.kind}/${ns}/${obj.metadata.name}`;
}

// ---------------------------------------------------------------------------------------------
// Build

/**
 * Builds the kustomization in `dir` like `kustomize build dir` (for the supported subset) and
 * returns its objects. Throws KustomizeError on anything unsupported or inconsistent.
 */
export function loadKustomization(dir: string): KubeObject[] {
  const k = readKustomization(resolve(dir));
  if (k.kind !== 'Kustomization')
    throw new KustomizeError(`${k.file}: a Component cannot be built on its own`);
  return build(k, new Set());
}

function build(k: Kustomization, stack: Set<string>): KubeObject[] {
  if (stack.has(k.dir)) throw new KustomizeError(`${k.file}: cycle through ${[...stack, k.dir].join(' → ')}`);
  const inner = new Set(stack).add(k.dir);
  const objects: KubeObject[] = [];
  const add = (list: KubeObject[]): void => {
    for (const obj of list) {
      const id = idOf(obj);
      if (objects.some((o) => idOf(o) === id))
        throw new KustomizeError(`${k.file}: ${id} is defined twice (${sourceOf(obj)} and earlier)`);
      objects.push(obj);
    }
  };

  for (const entry of stringList(k, 'resources')) add(loadResource(k, entry, inner));

  for (const entry of stringList(k, 'components')) {
    const path = resolve(k.dir, entry);
    if (!existsSync(path) || !statSync(path).isDirectory())
      throw new KustomizeError(`${k.file}: component ${entry} is not a directory`);
    const component = readKustomization(path);
    if (component.kind !== 'Component')
      throw new KustomizeError(`${component.file}: included as a component but kind is Kustomization`);
    // A component's own resources join the including kustomization's, then its transformers run on all.
    for (const res of stringList(component, 'resources')) add(loadResource(component, res, inner));
    add(generate(component));
    transform(component, objects);
  }

  add(generate(k));
  transform(k, objects);
  return objects;
}

function stringList(k: Kustomization, field: string): string[] {
  const v = k.raw[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'string'))
    throw new KustomizeError(`${k.file}: \`${field}\` must be a list of strings`);
  return v as string[];
}

function loadResource(k: Kustomization, entry: string, stack: Set<string>): KubeObject[] {
  if (/^[a-z]+:\/\//.test(entry) || entry.startsWith('github.com/'))
    throw new KustomizeError(`${k.file}: remote resource ${entry} is not supported`);
  const path = resolve(k.dir, entry);
  if (!existsSync(path)) throw new KustomizeError(`${k.file}: resource ${entry} does not exist`);
  if (statSync(path).isDirectory()) {
    const sub = readKustomization(path);
    if (sub.kind === 'Component')
      throw new KustomizeError(`${k.file}: ${entry} is a Component; list it under \`components\``);
    return build(sub, stack);
  }
  return parseYamlFile(path).map((doc) => asKubeObject(doc, path));
}

// ------------------------------------------------------------------------------- generators

function generate(k: Kustomization): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [field, kind] of [
    ['secretGenerator', 'Secret'],
    ['configMapGenerator', 'ConfigMap'],
  ] as const) {
    const list = k.raw[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new KustomizeError(`${k.file}: \`${field}\` must be a list`);
    for (const g of list) out.push(generateOne(k, field, kind, g));
  }
  return out;
}

function generateOne(k: Kustomization, field: string, kind: 'Secret' | 'ConfigMap', g: Json): KubeObject {
  const where = `${k.file}: ${field}`;
  if (!isObject(g) || typeof g.name !== 'string') throw new KustomizeError(`${where}: entry without name`);
  const allowed = new Set(['name', 'namespace', 'literals', 'envs', 'files', 'options', 'type', 'behavior']);
  for (const key of Object.keys(g))
    if (!allowed.has(key)) throw new KustomizeError(`${where} ${g.name}: unsupported field ${key}`);
  if (g.behavior !== undefined && g.behavior !== 'create')
    throw new KustomizeError(`${where} ${g.name}: behavior ${String(g.behavior)} is not supported`);
  const options = g.options ?? {};
  if (!isObject(options)) throw new KustomizeError(`${where} ${g.name}: options must be a mapping`);
  for (const key of Object.keys(options))
    if (!['disableNameSuffixHash', 'labels', 'annotations'].includes(key))
      throw new KustomizeError(`${where} ${g.name}: unsupported option ${key}`);
  if (options.disableNameSuffixHash !== true)
    throw new KustomizeError(
      `${where} ${g.name}: only disableNameSuffixHash: true is supported (hash suffixes need name-reference rewriting)`,
    );

  const data: Record<string, string> = {};
  const put = (key: string, value: string): void => {
    if (key in data) throw new KustomizeError(`${where} ${g.name}: key ${key} given twice`);
    data[key] = value;
  };
  for (const lit of asStrings(g.literals, `${where} ${g.name} literals`)) {
    const eq = lit.indexOf('=');
    if (eq <= 0) throw new KustomizeError(`${where} ${g.name}: literal ${lit} is not KEY=VALUE`);
    put(lit.slice(0, eq), lit.slice(eq + 1));
  }
  for (const env of asStrings(g.envs, `${where} ${g.name} envs`)) {
    for (const [n, line] of readFileSync(resolve(k.dir, env), 'utf8').split('\n').entries()) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const eq = t.indexOf('=');
      if (eq <= 0) throw new KustomizeError(`${resolve(k.dir, env)}:${n + 1}: not KEY=VALUE`);
      put(t.slice(0, eq), t.slice(eq + 1));
    }
  }
  for (const f of asStrings(g.files, `${where} ${g.name} files`)) {
    const eq = f.indexOf('=');
    const [key, path] = eq > 0 ? [f.slice(0, eq), f.slice(eq + 1)] : [basename(f), f];
    put(key, readFileSync(resolve(k.dir, path), 'utf8'));
  }

  const metadata: ObjectMetadata = { name: g.name };
  if (typeof g.namespace === 'string') metadata.namespace = g.namespace;
  if (isObject(options.labels)) metadata.labels = { ...(options.labels as Record<string, string>) };
  if (isObject(options.annotations))
    metadata.annotations = { ...(options.annotations as Record<string, string>) };
  const obj: KubeObject =
    kind === 'Secret'
      ? {
          apiVersion: 'v1',
          kind,
          metadata,
          type: typeof g.type === 'string' ? g.type : 'Opaque',
          data: Object.fromEntries(
            Object.entries(data).map(([key, v]) => [key, Buffer.from(v).toString('base64')]),
          ),
        }
      : { apiVersion: 'v1', kind, metadata, data };
  SOURCES.set(obj, k.file);
  return obj;
}

function asStrings(v: Json | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'string'))
    throw new KustomizeError(`${where}: must be a list of strings`);
  return v as string[];
}

// ------------------------------------------------------------------------------ transformers

function transform(k: Kustomization, objects: KubeObject[]): void {
  applyPatches(k, objects);
  const ns = k.raw.namespace;
  if (ns !== undefined) {
    if (typeof ns !== 'string' || ns === '')
      throw new KustomizeError(`${k.file}: namespace must be a non-empty string`);
    for (const obj of objects) setNamespace(obj, ns);
  }
  applyLabels(k, objects);
  applyImages(k, objects);
}

function setNamespace(obj: KubeObject, ns: string): void {
  if (!CLUSTER_SCOPED_KINDS.has(obj.kind)) obj.metadata.namespace = ns;
  if ((obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') && Array.isArray(obj.subjects)) {
    for (const s of obj.subjects as Json[]) {
      if (isObject(s) && s.kind === 'ServiceAccount' && s.namespace === 'default') s.namespace = ns;
    }
  }
}

function applyLabels(k: Kustomization, objects: KubeObject[]): void {
  const list = k.raw.labels;
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new KustomizeError(`${k.file}: labels must be a list`);
  for (const entry of list) {
    if (!isObject(entry) || !isObject(entry.pairs))
      throw new KustomizeError(`${k.file}: labels entry without pairs`);
    for (const key of Object.keys(entry))
      if (!['pairs', 'includeSelectors', 'includeTemplates'].includes(key))
        throw new KustomizeError(`${k.file}: labels.${key} is not supported`);
    if (entry.includeSelectors === true || entry.includeTemplates === true)
      throw new KustomizeError(`${k.file}: labels with includeSelectors/includeTemplates are not supported`);
    for (const obj of objects) {
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...(entry.pairs as Record<string, string>) };
    }
  }
}

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Splits `registry/repo:tag@digest` into the name kustomize matches on and the rest. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest ? { digest } : {}) };
  }
  return { name: rest, ...(digest ? { digest } : {}) };
}

function applyImages(k: Kustomization, objects: KubeObject[]): void {
  const list = k.raw.images;
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new KustomizeError(`${k.file}: images must be a list`);
  const rules: ImageRule[] = list.map((r) => {
    if (!isObject(r) || typeof r.name !== 'string')
      throw new KustomizeError(`${k.file}: images entry without name`);
    for (const key of Object.keys(r))
      if (!['name', 'newName', 'newTag', 'digest'].includes(key))
        throw new KustomizeError(`${k.file}: images.${key} is not supported`);
    return r as unknown as ImageRule;
  });
  const visit = (node: Json): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
        for (const c of value) {
          if (!isObject(c) || typeof c.image !== 'string') continue;
          const parsed = splitImage(c.image);
          const rule = rules.find((r) => r.name === parsed.name);
          if (!rule) continue;
          const name = rule.newName ?? parsed.name;
          if (rule.digest) c.image = `${name}@${rule.digest}`;
          else if (rule.newTag) c.image = `${name}:${rule.newTag}`;
          else
            c.image = `${name}${parsed.tag ? `:${parsed.tag}` : ''}${parsed.digest ? `@${parsed.digest}` : ''}`;
        }
      }
      visit(value);
    }
  };
  for (const obj of objects) visit(obj as unknown as Json);
}

function applyPatches(k: Kustomization, objects: KubeObject[]): void {
  const list = k.raw.patches;
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new KustomizeError(`${k.file}: patches must be a list`);
  for (const entry of list) {
    if (!isObject(entry)) throw new KustomizeError(`${k.file}: patches entry must be a mapping`);
    for (const key of Object.keys(entry))
      if (key !== 'path' && key !== 'patch')
        throw new KustomizeError(
          `${k.file}: patches.${key} is not supported (name the target inside the patch)`,
        );
    let docs: Json[];
    let where: string;
    if (typeof entry.path === 'string') {
      where = resolve(k.dir, entry.path);
      docs = parseYamlFile(where);
    } else if (typeof entry.patch === 'string') {
      where = `${k.file} (inline patch)`;
      docs = parseAllDocuments(entry.patch).map((d) => d.toJS() as Json);
    } else throw new KustomizeError(`${k.file}: patches entry needs path or patch`);
    for (const doc of docs) {
      if (Array.isArray(doc)) throw new KustomizeError(`${where}: JSON 6902 patches are not supported`);
      if (
        !isObject(doc) ||
        typeof doc.kind !== 'string' ||
        typeof doc.apiVersion !== 'string' ||
        !isObject(doc.metadata)
      )
        throw new KustomizeError(
          `${where}: a strategic-merge patch needs apiVersion, kind and metadata.name`,
        );
      const name = doc.metadata.name;
      const ns = doc.metadata.namespace;
      const matches = objects.filter(
        (o) =>
          o.kind === doc.kind &&
          groupOf(o.apiVersion) === groupOf(doc.apiVersion as string) &&
          o.metadata.name === name &&
          (ns === undefined || o.metadata.namespace === ns),
      );
      if (matches.length !== 1)
        throw new KustomizeError(
          `${where}: patch target ${doc.kind}/${String(name)} matched ${matches.length} objects`,
        );
      mergeInto(matches[0] as unknown as JsonObject, doc, where, '');
    }
  }
}

/**
 * Strategic merge patch, the subset kustomize patches here need: mappings merge recursively, `null`
 * deletes a field, and lists of mappings that all carry `name` (containers, env, volumes,
 * volumeMounts, ...) merge item by item on `name` (new items first, as kustomize orders them); every
 * other list is replaced, as for lists
 * without a merge key. `$patch`/`$setElementOrder` directives are rejected. Note: real SMP merges
 * `ports` on containerPort/port; merging those by name is not supported here (rejected below).
 */
export function strategicMerge(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
  where = 'patch',
  path = '',
): void {
  mergeInto(target as JsonObject, patch as JsonObject, where, path);
}

function mergeInto(target: JsonObject, patch: JsonObject, where: string, path: string): void {
  for (const [key, value] of Object.entries(patch)) {
    const p = path ? `${path}.${key}` : key;
    if (key.startsWith('$')) throw new KustomizeError(`${where}: directive ${p} is not supported`);
    if (value === null) {
      delete target[key];
      continue;
    }
    const current = target[key];
    if (isObject(value) && isObject(current)) {
      mergeInto(current, value, where, p);
    } else if (Array.isArray(value) && Array.isArray(current) && isNamedList(value) && isNamedList(current)) {
      if (key === 'ports')
        throw new KustomizeError(`${where}: merging ${p} (merge key port) is not supported`);
      const added: JsonObject[] = [];
      for (const item of value as JsonObject[]) {
        const existing = (current as JsonObject[]).find((c) => c.name === item.name);
        if (existing) mergeInto(existing, item, where, `${p}[name=${String(item.name)}]`);
        else added.push(item);
      }
      // kustomize (kyaml) puts items that only the patch has before the existing ones.
      current.unshift(...added);
    } else {
      target[key] = value;
    }
  }
}

const isNamedList = (list: Json[]): boolean => list.every((i) => isObject(i) && typeof i.name === 'string');

// ---------------------------------------------------------------------------------------------
// Queries

export function byKind(objects: readonly KubeObject[], kind: string, apiGroup?: string): KubeObject[] {
  return objects.filter(
    (o) => o.kind === kind && (apiGroup === undefined || groupOf(o.apiVersion) === apiGroup),
  );
}

export function findObject(
  objects: readonly KubeObject[],
  kind: string,
  name: string,
  apiGroup?: string,
): KubeObject | undefined {
  return byKind(objects, kind, apiGroup).find((o) => o.metadata.name === name);
}

const get = (v: unknown, ...path: (string | number)[]): unknown => {
  let cur: unknown = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A route of the broker: events whose attributes equal `exact` go to `subscriber`. */
export interface TriggerRoute {
  trigger: string;
  namespace?: string;
  broker: string;
  /** Exact-match attribute filters (all must match); `{}` matches every event. */
  exact: Record<string, string>;
  /** Name of the Knative Service the trigger delivers to. */
  subscriber: string;
}

/**
 * The routing table the Triggers describe, for the local broker. Only the filter dialects the
 * manifests use are supported (`filters` with `exact`, or legacy `filter.attributes`); anything
 * else throws so the local broker cannot silently route differently from a real one.
 */
export function triggerRoutes(objects: readonly KubeObject[]): TriggerRoute[] {
  return byKind(objects, 'Trigger', 'eventing.knative.dev').map((t) => {
    const name = t.metadata.name;
    const spec = get(t, 'spec');
    const broker = str(get(spec, 'broker'));
    const subscriber = str(get(spec, 'subscriber', 'ref', 'name'));
    if (!broker || !subscriber)
      throw new KustomizeError(`Trigger ${name}: needs spec.broker and spec.subscriber.ref.name`);
    const exact: Record<string, string> = {};
    const filters = get(spec, 'filters');
    if (filters !== undefined) {
      if (!Array.isArray(filters)) throw new KustomizeError(`Trigger ${name}: spec.filters must be a list`);
      for (const f of filters as unknown[]) {
        const e = get(f, 'exact');
        if (!isObject(f) || Object.keys(f).length !== 1 || !isObject(e))
          throw new KustomizeError(`Trigger ${name}: only \`exact\` filters are supported`);
        for (const [attr, value] of Object.entries(e)) {
          if (typeof value !== 'string')
            throw new KustomizeError(`Trigger ${name}: exact.${attr} must be a string`);
          exact[attr] = value;
        }
      }
    } else {
      const attrs = get(spec, 'filter', 'attributes');
      if (isObject(attrs))
        for (const [attr, value] of Object.entries(attrs))
          if (typeof value === 'string' && value !== '') exact[attr] = value;
    }
    return {
      trigger: name,
      ...(t.metadata.namespace ? { namespace: t.metadata.namespace } : {}),
      broker,
      exact,
      subscriber,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Cross-object checks. Each returns human-readable problems; an empty list means all good.

/** Knative Service name of a function (`kscape function <name>`). */
export const serviceOfFunction = (fn: string): string => `kscape-${fn}`;

/** Built-in roles the manifests may bind without defining them. */
export const BUILT_IN_ROLES: Record<string, 'Role' | 'ClusterRole'> = {
  'system:auth-delegator': 'ClusterRole',
  'extension-apiserver-authentication-reader': 'Role',
};

/** Pod template spec of a workload or Knative Service (undefined for other kinds). */
export function podSpecOf(obj: KubeObject): JsonObject | undefined {
  const paths: Record<string, (string | number)[]> = {
    Deployment: ['spec', 'template', 'spec'],
    DaemonSet: ['spec', 'template', 'spec'],
    StatefulSet: ['spec', 'template', 'spec'],
    ReplicaSet: ['spec', 'template', 'spec'],
    Job: ['spec', 'template', 'spec'],
    CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    Pod: ['spec'],
  };
  if (obj.kind === 'Service' && obj.apiVersion === 'serving.knative.dev/v1') {
    const s = get(obj, 'spec', 'template', 'spec');
    return isObject(s) ? s : undefined;
  }
  const path = paths[obj.kind];
  if (!path) return undefined;
  const s = get(obj, ...path);
  return isObject(s) ? s : undefined;
}

export interface PodTemplateMeta {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Pod template metadata (labels/annotations) of a workload or Knative Service. */
export function podTemplateMetaOf(obj: KubeObject): PodTemplateMeta | undefined {
  const path =
    obj.kind === 'CronJob'
      ? ['spec', 'jobTemplate', 'spec', 'template', 'metadata']
      : ['spec', 'template', 'metadata'];
  const m = get(obj, ...path);
  return isObject(m) ? (m as PodTemplateMeta) : undefined;
}

export const workloads = (objects: readonly KubeObject[]): KubeObject[] =>
  objects.filter((o) => podSpecOf(o) !== undefined);

export const containersOf = (spec: JsonObject): JsonObject[] =>
  [
    ...((spec.initContainers as Json[] | undefined) ?? []),
    ...((spec.containers as Json[] | undefined) ?? []),
  ].filter(isObject);

const ksvcRef = { apiVersion: 'serving.knative.dev/v1', kind: 'Service' };
const brokerRef = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker' };

function refExists(objects: readonly KubeObject[], ref: unknown, namespace: string | undefined): boolean {
  const apiVersion = str(get(ref, 'apiVersion'));
  const kind = str(get(ref, 'kind'));
  const name = str(get(ref, 'name'));
  const ns = str(get(ref, 'namespace')) ?? namespace;
  if (!apiVersion || !kind || !name) return false;
  return objects.some(
    (o) =>
      o.kind === kind &&
      groupOf(o.apiVersion) === groupOf(apiVersion) &&
      o.metadata.name === name &&
      (CLUSTER_SCOPED_KINDS.has(kind) || o.metadata.namespace === ns),
  );
}

export interface ReferenceCheckOptions {
  /** Secrets the build references but deliberately does not create (documented prerequisites). */
  externalSecrets?: readonly string[];
}

/**
 * Every reference between objects resolves, and the Triggers implement FUNCTION_ROUTES exactly.
 */
export function checkReferences(
  objects: readonly KubeObject[],
  options: ReferenceCheckOptions = {},
): string[] {
  const problems: string[] = [];
  const catalogTypes = new Set<string>(Object.values(EVENT_TYPES));
  const describe = (o: KubeObject): string =>
    `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

  // Triggers: broker and subscriber exist, filters are exact catalog types.
  let routes: TriggerRoute[] = [];
  try {
    routes = triggerRoutes(objects);
  } catch (e) {
    problems.push((e as Error).message);
  }
  for (const t of byKind(objects, 'Trigger', 'eventing.knative.dev')) {
    const ns = t.metadata.namespace;
    const broker = str(get(t, 'spec', 'broker'));
    if (!broker || !refExists(objects, { ...brokerRef, name: broker }, ns))
      problems.push(`${describe(t)}: broker ${String(broker)} does not exist`);
    const sub = get(t, 'spec', 'subscriber', 'ref');
    if (str(get(sub, 'apiVersion')) !== ksvcRef.apiVersion || str(get(sub, 'kind')) !== ksvcRef.kind)
      problems.push(`${describe(t)}: subscriber must be a Knative Service (serving.knative.dev/v1 Service)`);
    else if (!refExists(objects, sub, ns))
      problems.push(`${describe(t)}: subscriber Knative Service ${String(get(sub, 'name'))} does not exist`);
    if (
      get(t, 'spec', 'delivery') !== undefined &&
      get(t, 'spec', 'delivery', 'deadLetterSink') === undefined
    )
      problems.push(
        `${describe(t)}: its spec.delivery replaces the Broker's entirely but has no deadLetterSink`,
      );
  }
  for (const r of routes) {
    const keys = Object.keys(r.exact);
    if (keys.length !== 1 || keys[0] !== 'type')
      problems.push(`Trigger ${r.trigger}: must filter on exactly one attribute, type`);
    else if (!catalogTypes.has(r.exact.type!))
      problems.push(`Trigger ${r.trigger}: type ${r.exact.type} is not in lib/events/catalog.ts`);
  }

  // FUNCTION_ROUTES, both directions, and no loops.
  const routed = (svc: string): Set<string> =>
    new Set(routes.filter((r) => r.subscriber === svc && r.exact.type).map((r) => r.exact.type!));
  for (const [fn, route] of Object.entries(FUNCTION_ROUTES)) {
    const svc = serviceOfFunction(fn);
    const got = routed(svc);
    for (const type of route.consumes)
      if (!got.has(type)) problems.push(`function ${fn} consumes ${type} but no Trigger routes it to ${svc}`);
    for (const type of got)
      if (!(route.consumes as readonly string[]).includes(type))
        problems.push(
          `a Trigger routes ${type} to ${svc}, but function ${fn} does not consume it (lib/events/routes.ts)`,
        );
    for (const type of route.produces)
      if (got.has(type))
        problems.push(`loop: function ${fn} produces ${type} and a Trigger routes ${type} back to ${svc}`);
  }
  const fnServices = new Set(Object.keys(FUNCTION_ROUTES).map(serviceOfFunction));
  for (const r of routes)
    if (!fnServices.has(r.subscriber))
      problems.push(`Trigger ${r.trigger}: ${r.subscriber} is not a function of lib/events/routes.ts`);

  // Sources and bindings sink into the broker.
  for (const kind of ['PingSource', 'ApiServerSource', 'SinkBinding', 'ContainerSource']) {
    for (const s of byKind(objects, kind, 'sources.knative.dev')) {
      const sink = get(s, 'spec', 'sink', 'ref');
      if (str(get(sink, 'kind')) !== 'Broker' || !refExists(objects, sink, s.metadata.namespace))
        problems.push(`${describe(s)}: sink must be an existing Broker (got ${JSON.stringify(sink)})`);
    }
  }
  for (const b of byKind(objects, 'SinkBinding', 'sources.knative.dev')) {
    const subject = get(b, 'spec', 'subject');
    if (get(subject, 'selector') !== undefined)
      problems.push(`${describe(b)}: subject selectors are not checked; name the subject`);
    else if (!refExists(objects, subject, b.metadata.namespace))
      problems.push(`${describe(b)}: subject ${JSON.stringify(subject)} does not exist`);
  }

  // Dead-letter sinks exist (Broker and Trigger DeliverySpecs).
  for (const o of [
    ...byKind(objects, 'Broker', 'eventing.knative.dev'),
    ...byKind(objects, 'Trigger', 'eventing.knative.dev'),
  ]) {
    const dls = get(o, 'spec', 'delivery', 'deadLetterSink');
    if (dls === undefined) {
      if (o.kind === 'Broker') problems.push(`${describe(o)}: no spec.delivery.deadLetterSink`);
      continue;
    }
    if (!refExists(objects, get(dls, 'ref'), o.metadata.namespace))
      problems.push(`${describe(o)}: dead-letter sink ${JSON.stringify(get(dls, 'ref'))} does not exist`);
  }

  // ServiceAccounts referenced by pods, sources and bindings exist.
  const saExists = (name: string, ns: string | undefined): boolean =>
    byKind(objects, 'ServiceAccount').some((sa) => sa.metadata.name === name && sa.metadata.namespace === ns);
  for (const w of workloads(objects)) {
    const sa = str(podSpecOf(w)?.serviceAccountName);
    if (sa && !saExists(sa, w.metadata.namespace))
      problems.push(`${describe(w)}: ServiceAccount ${sa} does not exist`);
  }
  for (const s of byKind(objects, 'ApiServerSource', 'sources.knative.dev')) {
    const sa = str(get(s, 'spec', 'serviceAccountName'));
    if (!sa) problems.push(`${describe(s)}: no serviceAccountName (it would run as "default")`);
    else if (!saExists(sa, s.metadata.namespace))
      problems.push(`${describe(s)}: ServiceAccount ${sa} does not exist`);
  }
  for (const b of [...byKind(objects, 'RoleBinding'), ...byKind(objects, 'ClusterRoleBinding')]) {
    for (const subj of (get(b, 'subjects') as unknown[] | undefined) ?? []) {
      if (str(get(subj, 'kind')) !== 'ServiceAccount') continue;
      const name = str(get(subj, 'name'));
      const ns = str(get(subj, 'namespace'));
      if (!name || !saExists(name, ns))
        problems.push(`${describe(b)}: subject ServiceAccount ${String(ns)}/${String(name)} does not exist`);
    }
    const roleKind = str(get(b, 'roleRef', 'kind'));
    const roleName = str(get(b, 'roleRef', 'name'));
    if (!roleKind || !roleName) {
      problems.push(`${describe(b)}: incomplete roleRef`);
      continue;
    }
    const builtIn = BUILT_IN_ROLES[roleName] === roleKind;
    const defined =
      roleKind === 'ClusterRole'
        ? findObject(objects, 'ClusterRole', roleName) !== undefined
        : byKind(objects, 'Role').some(
            (r) => r.metadata.name === roleName && r.metadata.namespace === b.metadata.namespace,
          );
    if (!builtIn && !defined) problems.push(`${describe(b)}: ${roleKind} ${roleName} does not exist`);
  }

  // Secrets referenced by pods exist (or are documented prerequisites, or issued by cert-manager).
  const external = new Set(options.externalSecrets ?? []);
  const issued = new Set(
    byKind(objects, 'Certificate', 'cert-manager.io').map((c) => str(get(c, 'spec', 'secretName'))),
  );
  for (const w of workloads(objects)) {
    const spec = podSpecOf(w)!;
    const refs: { name: string; optional: boolean }[] = [];
    for (const v of (spec.volumes as Json[] | undefined) ?? []) {
      const name = str(get(v, 'secret', 'secretName'));
      if (name) refs.push({ name, optional: get(v, 'secret', 'optional') === true });
    }
    for (const c of containersOf(spec)) {
      for (const e of (c.env as Json[] | undefined) ?? []) {
        const name = str(get(e, 'valueFrom', 'secretKeyRef', 'name'));
        if (name) refs.push({ name, optional: get(e, 'valueFrom', 'secretKeyRef', 'optional') === true });
      }
      for (const e of (c.envFrom as Json[] | undefined) ?? []) {
        const name = str(get(e, 'secretRef', 'name'));
        if (name) refs.push({ name, optional: get(e, 'secretRef', 'optional') === true });
      }
    }
    for (const { name, optional } of refs) {
      if (optional || external.has(name) || issued.has(name)) continue;
      if (
        !byKind(objects, 'Secret').some(
          (s) => s.metadata.name === name && s.metadata.namespace === w.metadata.namespace,
        )
      )
        problems.push(`${describe(w)}: Secret ${name} does not exist and is not a documented prerequisite`);
    }
  }

  // Services select some pod; PDBs select some pod; the APIService points at a Service port.
  const selects = (selector: unknown, ns: string | undefined): boolean =>
    isObject(selector) &&
    Object.keys(selector).length > 0 &&
    workloads(objects).some((w) => {
      if (w.metadata.namespace !== ns) return false;
      const labels: Record<string, unknown> = podTemplateMetaOf(w)?.labels ?? {};
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
  for (const svc of byKind(objects, 'Service', '')) {
    if (!selects(get(svc, 'spec', 'selector'), svc.metadata.namespace))
      problems.push(`${describe(svc)}: selector matches no pod template`);
  }
  for (const pdb of byKind(objects, 'PodDisruptionBudget', 'policy')) {
    if (!selects(get(pdb, 'spec', 'selector', 'matchLabels'), pdb.metadata.namespace))
      problems.push(`${describe(pdb)}: selector matches no pod template`);
  }
  for (const api of byKind(objects, 'APIService', 'apiregistration.k8s.io')) {
    const name = str(get(api, 'spec', 'service', 'name'));
    const ns = str(get(api, 'spec', 'service', 'namespace'));
    const port = (get(api, 'spec', 'service', 'port') as number | undefined) ?? 443;
    const svc = byKind(objects, 'Service', '').find(
      (s) => s.metadata.name === name && s.metadata.namespace === ns,
    );
    if (!svc) problems.push(`${describe(api)}: Service ${String(ns)}/${String(name)} does not exist`);
    else if (
      !((get(svc, 'spec', 'ports') as unknown[] | undefined) ?? []).some((p) => get(p, 'port') === port)
    )
      problems.push(`${describe(api)}: Service ${name} has no port ${port}`);
    const expected = `${String(get(api, 'spec', 'version'))}.${String(get(api, 'spec', 'group'))}`;
    if (api.metadata.name !== expected)
      problems.push(`${describe(api)}: name must be <version>.<group> = ${expected}`);
  }

  // resourceNames in Roles name objects that exist (a typo would silently grant nothing).
  for (const role of [...byKind(objects, 'Role'), ...byKind(objects, 'ClusterRole')]) {
    for (const rule of (get(role, 'rules') as unknown[] | undefined) ?? []) {
      const names = get(rule, 'resourceNames') as string[] | undefined;
      if (!names) continue;
      const resources = (get(rule, 'resources') as string[] | undefined) ?? [];
      for (const resource of resources) {
        const kind = {
          pingsources: 'PingSource',
          apiserversources: 'ApiServerSource',
          configmaps: 'ConfigMap',
          secrets: 'Secret',
        }[resource];
        if (!kind) {
          problems.push(`${describe(role)}: cannot check resourceNames of ${resource}`);
          continue;
        }
        for (const n of names)
          if (
            !byKind(objects, kind).some(
              (o) =>
                o.metadata.name === n &&
                (role.kind === 'ClusterRole' || o.metadata.namespace === role.metadata.namespace),
            )
          )
            problems.push(`${describe(role)}: resourceNames ${n} names no ${kind}`);
      }
    }
  }
  return problems;
}

/** Annotation on a pod template that documents why it does not meet the security baseline. */
export const SECURITY_EXCEPTION_ANNOTATION = 'kscape.io/security-exception';

/**
 * Every workload meets the baseline — runAsNonRoot, read-only root filesystem, no privilege
 * escalation, all capabilities dropped, RuntimeDefault seccomp (container settings override pod
 * settings, as in Kubernetes) — unless its pod template carries a non-empty
 * `kscape.io/security-exception` annotation saying why. Even then privilege escalation stays off,
 * `privileged` is never set, and only capabilities are *added* after dropping ALL.
 * Also: automountServiceAccountToken is explicit on every pod spec.
 */
export function checkSecurity(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const where = `${w.kind} ${w.metadata.name}`;
    const spec = podSpecOf(w)!;
    const exception = str(get(podTemplateMetaOf(w), 'annotations', SECURITY_EXCEPTION_ANNOTATION));
    const excepted = exception !== undefined && exception.trim().length >= 20;
    if (exception !== undefined && !excepted)
      problems.push(`${where}: ${SECURITY_EXCEPTION_ANNOTATION} must explain why`);
    if (typeof spec.automountServiceAccountToken !== 'boolean')
      problems.push(
        `${where}: set automountServiceAccountToken explicitly (true only where the API is used)`,
      );
    if (!excepted) {
      for (const f of ['hostPID', 'hostNetwork', 'hostIPC'])
        if (spec[f] === true) problems.push(`${where}: ${f} without ${SECURITY_EXCEPTION_ANNOTATION}`);
      for (const v of (spec.volumes as Json[] | undefined) ?? [])
        if (get(v, 'hostPath') !== undefined)
          problems.push(`${where}: hostPath volume without ${SECURITY_EXCEPTION_ANNOTATION}`);
    }
    const pod = (spec.securityContext ?? {}) as JsonObject;
    for (const c of containersOf(spec)) {
      const sc = (c.securityContext ?? {}) as JsonObject;
      const eff = (field: string): Json | undefined => sc[field] ?? pod[field];
      const cw = `${where} container ${String(c.name)}`;
      if (sc.privileged === true) problems.push(`${cw}: privileged`);
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${cw}: allowPrivilegeEscalation must be false`);
      const drop = (get(sc, 'capabilities', 'drop') as string[] | undefined) ?? [];
      if (!drop.includes('ALL')) problems.push(`${cw}: capabilities.drop must include ALL`);
      if (
        str(get(eff('seccompProfile'), 'type')) !== 'RuntimeDefault' &&
        str(get(eff('seccompProfile'), 'type')) !== 'Localhost'
      )
        problems.push(`${cw}: seccompProfile must be RuntimeDefault`);
      if (excepted) continue;
      if (eff('runAsNonRoot') !== true) problems.push(`${cw}: runAsNonRoot must be true`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${cw}: readOnlyRootFilesystem must be true`);
      const add = (get(sc, 'capabilities', 'add') as string[] | undefined) ?? [];
      if (add.length > 0)
        problems.push(`${cw}: adds capabilities ${add.join(', ')} without ${SECURITY_EXCEPTION_ANNOTATION}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Files

/** Every YAML file under `root` (for the "no orphan manifest" check), relative to `root`. */
export function yamlFilesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry.name)) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** Every file a kustomization (and what it includes) reads: resources, patches, generator inputs. */
export function filesUsedBy(dir: string, seen = new Set<string>()): Set<string> {
  const k = readKustomization(resolve(dir));
  if (seen.has(k.file)) return seen;
  seen.add(k.file);
  for (const entry of [...stringList(k, 'resources'), ...stringList(k, 'components')]) {
    const path = resolve(k.dir, entry);
    if (statSync(path).isDirectory()) filesUsedBy(path, seen);
    else seen.add(path);
  }
  for (const p of (k.raw.patches as Json[] | undefined) ?? [])
    if (typeof get(p, 'path') === 'string') seen.add(resolve(k.dir, get(p, 'path') as string));
  for (const field of ['secretGenerator', 'configMapGenerator']) {
    for (const g of (k.raw[field] as Json[] | undefined) ?? []) {
      for (const e of (get(g, 'envs') as string[] | undefined) ?? []) seen.add(resolve(k.dir, e));
      for (const f of (get(g, 'files') as string[] | undefined) ?? [])
        seen.add(resolve(k.dir, f.includes('=') ? f.slice(f.indexOf('=') + 1) : f));
    }
  }
  return seen;
}

/** Repository root (this file is test/support/manifests.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
