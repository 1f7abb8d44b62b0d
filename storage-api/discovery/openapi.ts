/**
 * OpenAPI documents built from the registry: `/openapi/v2` (Swagger 2.0) and `/openapi/v3`
 * (index + one OpenAPI 3.0 document per group-version), in the shapes kube-apiserver serves.
 *
 * What clients rely on:
 * - `kubectl explain` (v3): finds the schema whose `x-kubernetes-group-version-kind` matches, then
 *   walks `properties` / `$ref` / `allOf`. Kind schemas are the registry's structural schemas with
 *   `metadata` pointing at a real ObjectMeta definition.
 * - `kubectl apply` (client-side): picks strategic merge patch only if the PATCH operation of the
 *   GVK accepts `application/strategic-merge-patch+json` (v3 requestBody, else v2 `consumes`); we
 *   never advertise it, so kubectl sends JSON merge patches, which the engine supports.
 * - `kubectl create/apply --validate`: needs a schema per GVK; schema-less sandbox kinds say
 *   `x-kubernetes-preserve-unknown-fields: true` so anything validates.
 * - the aggregator merges our v2/v3 into the cluster's; definition names follow kube's rule for
 *   CRDs (reversed group + version + kind) so they cannot collide with built-in ones.
 */
import { createHash } from 'node:crypto';
import type { ResourceDefinition } from '../registry/types.js';
import { compareVersions } from './discovery.js';

type Json = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
] as const;
const PRODUCES = ['application/json', 'application/yaml'];
const WATCH_PRODUCES = ['application/json', 'application/json;stream=watch'];

/**
 * Definition name of a kind, kube-style: built-in groups as `io.k8s.api.<first segment>.<v>.<Kind>`
 * (`io.k8s.api.core.v1.Pod`, `io.k8s.api.rbac.v1.Role`), others as the reversed group, like CRDs:
 * `io.kubescape.softwarecomposition.spdx.v1beta1.VulnerabilityManifest`.
 */
export function definitionName(d: Pick<ResourceDefinition, 'group' | 'version'>, kind: string): string {
  if (d.group === '') return `io.k8s.api.core.${d.version}.${kind}`;
  if (d.group.endsWith('.k8s.io') || !d.group.includes('.'))
    return `io.k8s.api.${d.group.split('.')[0]}.${d.version}.${kind}`;
  return `${d.group.split('.').reverse().join('.')}.${d.version}.${kind}`;
}

/** The path prefix of a group-version: `api/v1` or `apis/<g>/<v>` (no leading slash, as in the v3 index). */
export const gvPath = (group: string, version: string): string =>
  group ? `apis/${group}/${version}` : `api/${version}`;

// ---------------------------------------------------------------------------------------------
// meta/v1 definitions (trimmed to the fields clients read; descriptions kept short).

function metaDefinitions(ref: (name: string) => Json): Record<string, Json> {
  const s = (description: string): Json => ({ type: 'string', description });
  const strMap = (description: string): Json => ({
    type: 'object',
    additionalProperties: { type: 'string' },
    description,
  });
  const time = (description: string): Json => ({ ...ref(`${META}.Time`), description });
  return {
    [`${META}.Time`]: { type: 'string', format: 'date-time', description: 'RFC 3339 date and time, in UTC.' },
    [`${META}.FieldsV1`]: { type: 'object', description: 'Set of fields in the FieldsV1 JSON trie format.' },
    [`${META}.ManagedFieldsEntry`]: {
      type: 'object',
      description: 'Workflow and version of a field set a manager owns.',
      properties: {
        apiVersion: s('Version of the resource this field set applies to.'),
        fieldsType: s('Format of the fields: always "FieldsV1".'),
        fieldsV1: { ...ref(`${META}.FieldsV1`), description: 'The owned fields.' },
        manager: s('Identifier of the workflow managing these fields.'),
        operation: s('Apply or Update.'),
        subresource: s('Subresource used to update the object.'),
        time: time('When the fields were last changed by this manager.'),
      },
    },
    [`${META}.OwnerReference`]: {
      type: 'object',
      description: 'Identifies an owning object.',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: s('API version of the referent.'),
        blockOwnerDeletion: { type: 'boolean', description: 'Foreground deletion waits for this dependent.' },
        controller: { type: 'boolean', description: 'The owner is the managing controller.' },
        kind: s('Kind of the referent.'),
        name: s('Name of the referent.'),
        uid: s('UID of the referent.'),
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [`${META}.ObjectMeta`]: {
      type: 'object',
      description: 'Metadata every persisted resource has.',
      properties: {
        annotations: strMap('Unstructured key/value data stored with the resource.'),
        creationTimestamp: time('When the object was created (set by the server).'),
        deletionGracePeriodSeconds: {
          type: 'integer',
          format: 'int64',
          description: 'Seconds allowed for graceful termination.',
        },
        deletionTimestamp: time('When the object will be deleted (set by the server).'),
        finalizers: {
          type: 'array',
          items: { type: 'string' },
          description: 'Must be empty before the object is deleted.',
        },
        generateName: s('Prefix for a server-generated unique name.'),
        generation: {
          type: 'integer',
          format: 'int64',
          description: 'Sequence number of the desired state.',
        },
        labels: strMap('Key/value pairs to organize and select objects.'),
        managedFields: {
          type: 'array',
          items: ref(`${META}.ManagedFieldsEntry`),
          description: 'Which manager owns which fields (server-side apply).',
        },
        name: s('Name, unique within a namespace.'),
        namespace: s('Namespace of a namespaced object.'),
        ownerReferences: {
          type: 'array',
          items: ref(`${META}.OwnerReference`),
          description: 'Objects this one depends on.',
        },
        resourceVersion: s('Opaque version for optimistic concurrency and watches.'),
        selfLink: s('Deprecated; not set.'),
        uid: s('Unique identifier in time and space (set by the server).'),
      },
    },
    [`${META}.ListMeta`]: {
      type: 'object',
      description: 'Metadata of a list.',
      properties: {
        continue: s('Token to fetch the next page.'),
        remainingItemCount: {
          type: 'integer',
          format: 'int64',
          description: 'Items after this page, when known.',
        },
        resourceVersion: s('Snapshot version of the list.'),
        selfLink: s('Deprecated; not set.'),
      },
    },
    [`${META}.StatusCause`]: {
      type: 'object',
      description: 'One cause of an error.',
      properties: {
        field: s('Path of the field at fault.'),
        message: s('Human-readable cause.'),
        reason: s('Machine-readable cause.'),
      },
    },
    [`${META}.StatusDetails`]: {
      type: 'object',
      description: 'Extended data of an error.',
      properties: {
        causes: { type: 'array', items: ref(`${META}.StatusCause`) },
        group: s('Group of the resource.'),
        kind: s('Kind of the resource.'),
        name: s('Name of the resource.'),
        retryAfterSeconds: {
          type: 'integer',
          format: 'int32',
          description: 'Seconds to wait before retrying.',
        },
        uid: s('UID of the resource.'),
      },
    },
    [`${META}.Status`]: {
      type: 'object',
      description: 'Result of an operation that does not return an object.',
      properties: {
        apiVersion: s('v1'),
        code: { type: 'integer', format: 'int32', description: 'HTTP status code.' },
        details: ref(`${META}.StatusDetails`),
        kind: s('Status'),
        message: s('Human-readable description.'),
        metadata: ref(`${META}.ListMeta`),
        reason: s('Machine-readable reason (NotFound, Conflict, Invalid ...).'),
        status: s('Success or Failure.'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [`${META}.Preconditions`]: {
      type: 'object',
      description: 'Must be fulfilled before a delete.',
      properties: { resourceVersion: s('Expected resourceVersion.'), uid: s('Expected UID.') },
    },
    [`${META}.DeleteOptions`]: {
      type: 'object',
      description: 'Options of a delete.',
      properties: {
        apiVersion: s('APIVersion of this representation.'),
        dryRun: { type: 'array', items: { type: 'string' }, description: 'All: do not persist.' },
        gracePeriodSeconds: { type: 'integer', format: 'int64' },
        kind: s('DeleteOptions'),
        preconditions: ref(`${META}.Preconditions`),
        propagationPolicy: s('Orphan, Background or Foreground.'),
      },
    },
    [`${META}.Patch`]: { type: 'object', description: 'Patch body; its format depends on the Content-Type.' },
    [`${META}.WatchEvent`]: {
      type: 'object',
      description: 'One event of a watch stream.',
      required: ['type', 'object'],
      properties: {
        object: { type: 'object', description: 'The object (or a Status for ERROR).', [PRESERVE]: true },
        type: s('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'),
      },
    },
  };
}

/** Rewrite a structural schema's `$ref`-free tree for a document: `metadata` → ObjectMeta. */
function kindSchema(d: ResourceDefinition, ref: (name: string) => Json, v3: boolean): Json {
  const metaRef = v3
    ? { description: "Standard object's metadata.", allOf: [ref(`${META}.ObjectMeta`)], default: {} }
    : { ...ref(`${META}.ObjectMeta`), description: "Standard object's metadata." };
  const base: Json = d.schema
    ? structuredClone(d.schema)
    : { type: 'object', description: `${d.kind} (schema-less sandbox kind).`, [PRESERVE]: true };
  const props: Json = { ...((base.properties as Json | undefined) ?? {}) };
  props.apiVersion ??= {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  props.kind ??= {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  props.metadata = metaRef;
  base.properties = props;
  base.type = 'object';
  base['x-kubernetes-group-version-kind'] = [{ group: d.group, kind: d.kind, version: d.version }];
  return base;
}

function listSchema(d: ResourceDefinition, ref: (name: string) => Json): Json {
  return {
    type: 'object',
    description: `${d.listKind} is a list of ${d.kind}.`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this representation.' },
      items: { type: 'array', items: ref(definitionName(d, d.kind)), description: `List of ${d.plural}.` },
      kind: { type: 'string', description: d.listKind },
      metadata: { ...ref(`${META}.ListMeta`), description: 'Standard list metadata.' },
    },
    'x-kubernetes-group-version-kind': [{ group: d.group, kind: d.listKind, version: d.version }],
  };
}

// ---------------------------------------------------------------------------------------------
// Paths

interface Param {
  name: string;
  in: 'path' | 'query' | 'body';
  description: string;
  required?: boolean;
  type?: 'string' | 'integer' | 'boolean';
  schema?: Json;
  uniqueItems?: boolean;
}

const q = (name: string, description: string, type: Param['type'] = 'string'): Param => ({
  name,
  in: 'query',
  description,
  type,
  uniqueItems: true,
});

const P = {
  name: {
    name: 'name',
    in: 'path',
    description: 'name of the object',
    required: true,
    type: 'string',
    uniqueItems: true,
  } as Param,
  namespace: {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    type: 'string',
    uniqueItems: true,
  } as Param,
  pretty: q('pretty', "If 'true', then the output is pretty printed."),
  dryRun: q(
    'dryRun',
    'When present, indicates that modifications should not be persisted. The only valid value is: All',
  ),
  fieldManager: q('fieldManager', 'Name of the actor making the change; required for apply patches.'),
  fieldValidation: q('fieldValidation', 'How to treat unknown or duplicate fields: Ignore, Warn or Strict.'),
  force: q(
    'force',
    'Force is going to "force" Apply requests: take ownership of conflicting fields.',
    'boolean',
  ),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: q(
    'fieldSelector',
    'A selector to restrict the list of returned objects by their fields (metadata.name, metadata.namespace).',
  ),
  limit: q('limit', 'Maximum number of responses to return for a list call.', 'integer'),
  continue: q('continue', 'Token from a previous paged list call.'),
  resourceVersion: q(
    'resourceVersion',
    'Version constraint of the read; see the API concepts documentation.',
  ),
  resourceVersionMatch: q(
    'resourceVersionMatch',
    'How resourceVersion applies to list calls: Exact or NotOlderThan.',
  ),
  watch: q('watch', 'Watch for changes to the described resources.', 'boolean'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'Request BOOKMARK watch events.', 'boolean'),
  sendInitialEvents: q(
    'sendInitialEvents',
    'Start a watch with synthetic ADDED events for the current state.',
    'boolean',
  ),
  timeoutSeconds: q('timeoutSeconds', 'Timeout of the list/watch call.', 'integer'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'Seconds before the object should be deleted.', 'integer'),
  propagationPolicy: q('propagationPolicy', 'Orphan, Background or Foreground.'),
};
const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];

interface Op {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  summary: string;
  id: string;
  params: Param[];
  body?: { ref: string; consumes?: readonly string[] };
  response: { code: string; ref: string; description: string }[];
  watch?: boolean;
}

function operations(
  d: ResourceDefinition,
  namespaced: boolean,
): { path: string; pathParams: Param[]; ops: Op[] }[] {
  const verbs = new Set(d.verbs);
  const kindRef = definitionName(d, d.kind);
  const listRef = definitionName(d, d.listKind);
  const status = `${META}.Status`;
  // operationId like kube: listSpdxSoftwarecompositionKubescapeIoV1beta1NamespacedVulnerabilityManifest
  const gvId = (d.group ? d.group : 'core')
    .split(/[.-]/)
    .concat(d.version)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
  const ns = namespaced ? 'Namespaced' : '';
  const root = `/${gvPath(d.group, d.version)}${namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;
  const scopeParams = namespaced ? [P.namespace] : [];
  const ok = (ref: string): Op['response'] => [{ code: '200', ref, description: 'OK' }];

  const collection: Op[] = [];
  if (verbs.has('list'))
    collection.push({
      method: 'get',
      action: 'list',
      summary: `list or watch objects of kind ${d.kind}`,
      id: `list${gvId}${ns}${d.kind}`,
      params: LIST_PARAMS,
      response: ok(listRef),
      watch: verbs.has('watch'),
    });
  if (verbs.has('create'))
    collection.push({
      method: 'post',
      action: 'post',
      summary: `create a ${d.kind}`,
      id: `create${gvId}${ns}${d.kind}`,
      params: [P.dryRun, P.fieldManager, P.fieldValidation],
      body: { ref: kindRef },
      response: [
        { code: '200', ref: kindRef, description: 'OK' },
        { code: '201', ref: kindRef, description: 'Created' },
      ],
    });
  if (verbs.has('deletecollection'))
    collection.push({
      method: 'delete',
      action: 'deletecollection',
      summary: `delete collection of ${d.kind}`,
      id: `deletecollection${gvId}${ns}${d.kind}`,
      params: [
        P.continue,
        P.dryRun,
        P.fieldSelector,
        P.gracePeriodSeconds,
        P.labelSelector,
        P.limit,
        P.propagationPolicy,
        P.resourceVersion,
        P.resourceVersionMatch,
        P.timeoutSeconds,
      ],
      body: { ref: `${META}.DeleteOptions` },
      response: ok(status),
    });

  const item: Op[] = [];
  if (verbs.has('get'))
    item.push({
      method: 'get',
      action: 'get',
      summary: `read the specified ${d.kind}`,
      id: `read${gvId}${ns}${d.kind}`,
      params: [P.resourceVersion],
      response: ok(kindRef),
    });
  if (verbs.has('update'))
    item.push({
      method: 'put',
      action: 'put',
      summary: `replace the specified ${d.kind}`,
      id: `replace${gvId}${ns}${d.kind}`,
      params: [P.dryRun, P.fieldManager, P.fieldValidation],
      body: { ref: kindRef },
      response: [
        { code: '200', ref: kindRef, description: 'OK' },
        { code: '201', ref: kindRef, description: 'Created' },
      ],
    });
  if (verbs.has('patch'))
    item.push({
      method: 'patch',
      action: 'patch',
      summary: `partially update the specified ${d.kind}`,
      id: `patch${gvId}${ns}${d.kind}`,
      params: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
      body: { ref: `${META}.Patch`, consumes: PATCH_CONTENT_TYPES },
      response: [
        { code: '200', ref: kindRef, description: 'OK' },
        { code: '201', ref: kindRef, description: 'Created' },
      ],
    });
  if (verbs.has('delete'))
    item.push({
      method: 'delete',
      action: 'delete',
      summary: `delete a ${d.kind}`,
      id: `delete${gvId}${ns}${d.kind}`,
      params: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy],
      body: { ref: `${META}.DeleteOptions` },
      response: [
        { code: '200', ref: kindRef, description: 'OK' },
        { code: '202', ref: kindRef, description: 'Accepted' },
      ],
    });

  const out = [];
  if (collection.length) out.push({ path: root, pathParams: [...scopeParams, P.pretty], ops: collection });
  if (item.length)
    out.push({ path: `${root}/{name}`, pathParams: [P.name, ...scopeParams, P.pretty], ops: item });
  return out;
}

function pathsFor(defs: readonly ResourceDefinition[], v3: boolean, ref: (n: string) => Json): Json {
  const paths: Json = {};
  for (const d of defs) {
    const scopes = d.namespaced ? [true, false] : [false];
    for (const namespaced of scopes) {
      for (const { path, pathParams, ops } of operations(d, namespaced)) {
        // All-namespaces paths of namespaced kinds only list/watch (like kube's `/apis/g/v/<plural>`).
        const filtered =
          d.namespaced && !namespaced
            ? ops.filter((o) => o.action === 'list').map((o) => ({ ...o, id: `${o.id}ForAllNamespaces` }))
            : ops;
        if (!filtered.length) continue;
        const item: Json = { parameters: pathParams.map((p) => param(p, v3)) };
        for (const op of filtered) item[op.method] = operation(d, op, v3, ref);
        paths[path] = item;
      }
    }
  }
  return paths;
}

function param(p: Param, v3: boolean): Json {
  if (!v3) return { ...p };
  const { type, ...rest } = p;
  return { ...rest, schema: { type: type ?? 'string', uniqueItems: true } };
}

function operation(d: ResourceDefinition, op: Op, v3: boolean, ref: (n: string) => Json): Json {
  const out: Json = {
    tags: [`${d.group || 'core'}_${d.version}`],
    description: op.summary,
    operationId: op.id,
  };
  const produces = op.watch ? [...PRODUCES, ...WATCH_PRODUCES.slice(1)] : PRODUCES;
  const params = op.params.map((p) => param(p, v3));
  if (v3) {
    if (params.length) out.parameters = params;
    if (op.body) {
      const types = op.body.consumes ?? ['*/*'];
      out.requestBody = {
        content: Object.fromEntries(types.map((t) => [t, { schema: ref(op.body!.ref) }])),
        required: true,
      };
    }
    out.responses = Object.fromEntries(
      op.response.map((r) => [
        r.code,
        {
          description: r.description,
          content: Object.fromEntries(produces.map((t) => [t, { schema: ref(r.ref) }])),
        },
      ]),
    );
    out.responses = { ...(out.responses as Json), '401': { description: 'Unauthorized' } };
  } else {
    out.consumes = op.body?.consumes ? [...op.body.consumes] : ['*/*'];
    out.produces = produces;
    out.schemes = ['https'];
    if (op.body) params.push({ name: 'body', in: 'body', required: true, schema: ref(op.body.ref) });
    if (params.length) out.parameters = params;
    out.responses = {
      ...Object.fromEntries(
        op.response.map((r) => [r.code, { description: r.description, schema: ref(r.ref) }]),
      ),
      '401': { description: 'Unauthorized' },
    };
  }
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = { group: d.group, kind: d.kind, version: d.version };
  return out;
}

// ---------------------------------------------------------------------------------------------

export interface OpenApi {
  /** `GET /openapi/v2`: Swagger 2.0 document of every kind. */
  v2(): Json;
  /** `GET /openapi/v3`: `{ paths: { 'apis/<g>/<v>': { serverRelativeURL } } }`. */
  v3Index(): Json;
  /**
   * `GET /openapi/v3/<gv path>`: OpenAPI 3.0 document of one group-version. Accepts `apis/<g>/<v>`,
   * `api/v1`, with or without a leading `/` or `/openapi/v3/` prefix. Undefined when unknown.
   */
  v3(groupVersionPath: string): Json | undefined;
  /** The `hash` of a v3 document (ETag; also in its serverRelativeURL). */
  v3Hash(groupVersionPath: string): string | undefined;
  /** ETag of the v2 document. */
  v2Hash(): string;
}

export interface OpenApiOptions {
  title?: string;
  version?: string;
}

const normalizeGvPath = (p: string): string =>
  p
    .replace(/^\/+/, '')
    .replace(/^openapi\/v3\//, '')
    .replace(/\?.*$/, '')
    .replace(/\/+$/, '');

export function buildOpenApi(defs: readonly ResourceDefinition[], opts: OpenApiOptions = {}): OpenApi {
  const info = { title: opts.title ?? 'kscape storage-api', version: opts.version ?? 'v0.1.0' };
  const ref2 = (n: string): Json => ({ $ref: `#/definitions/${n}` });
  const ref3 = (n: string): Json => ({ $ref: `#/components/schemas/${n}` });

  // v2: one document for everything.
  const definitions: Json = { ...metaDefinitions(ref2) };
  for (const d of defs) {
    definitions[definitionName(d, d.kind)] = kindSchema(d, ref2, false);
    definitions[definitionName(d, d.listKind)] = listSchema(d, ref2);
  }
  const v2Doc: Json = {
    swagger: '2.0',
    info,
    paths: pathsFor(defs, false, ref2),
    definitions,
    securityDefinitions: {
      BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token.' },
    },
    security: [{ BearerToken: [] }],
  };
  const v2Hash = sha512(JSON.stringify(v2Doc));

  // v3: one document per group-version.
  const byGv = new Map<string, ResourceDefinition[]>();
  for (const d of defs) {
    const key = gvPath(d.group, d.version);
    byGv.set(key, [...(byGv.get(key) ?? []), d]);
  }
  const v3Docs = new Map<string, { doc: Json; hash: string }>();
  const orderedGvs = [...byGv.keys()].sort((a, b) => {
    const [ga, va] = splitGv(a);
    const [gb, vb] = splitGv(b);
    return ga === gb ? compareVersions(va, vb) : ga < gb ? -1 : 1;
  });
  for (const key of orderedGvs) {
    const gvDefs = byGv.get(key)!;
    const schemas: Json = { ...metaDefinitions(ref3) };
    for (const d of gvDefs) {
      schemas[definitionName(d, d.kind)] = kindSchema(d, ref3, true);
      schemas[definitionName(d, d.listKind)] = listSchema(d, ref3);
    }
    const doc: Json = {
      openapi: '3.0.0',
      info,
      paths: pathsFor(gvDefs, true, ref3),
      components: {
        schemas,
        securitySchemes: {
          BearerToken: { type: 'apiKey', description: 'Bearer token.', name: 'authorization', in: 'header' },
        },
      },
    };
    v3Docs.set(key, { doc, hash: sha512(JSON.stringify(doc)) });
  }
  const index: Json = {
    paths: Object.fromEntries(
      [...v3Docs].map(([key, { hash }]) => [key, { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` }]),
    ),
  };

  return {
    v2: () => v2Doc,
    v2Hash: () => v2Hash,
    v3Index: () => index,
    v3: (p) => v3Docs.get(normalizeGvPath(p))?.doc,
    v3Hash: (p) => v3Docs.get(normalizeGvPath(p))?.hash,
  };
}

function splitGv(p: string): [string, string] {
  const parts = p.split('/');
  return parts[0] === 'api' ? ['', parts[1]!] : [parts[1]!, parts[2]!];
}

/** kube-openapi hashes documents with sha512, upper-case hex. */
const sha512 = (s: string): string => createHash('sha512').update(s).digest('hex').toUpperCase();
