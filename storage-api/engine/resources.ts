/**
 * The verbs on stored kinds: get, list, create, update, patch, delete, deletecollection.
 * Watch lives in watch.ts, computed (virtual) kinds in virtual.ts.
 */
import { randomUUID } from 'node:crypto';
import { parse as yamlParse } from 'yaml';
import type { Logger } from '../../lib/log/index.js';
import type { KubeObject, ResourceDefinition } from '../registry/types.js';
import { resourceKey } from '../registry/types.js';
import {
  ConflictError,
  type ListOptions,
  type ObjectKey,
  type Store,
  type StoredObject,
} from '../store/types.js';
import { applyJsonPatch, applyMergePatch, applyServerSideApply, recordUpdateManagedFields } from '../patch/index.js';
import { addWarning, BufferedWriter, readBody, sendJson, sendYaml, writeString } from './http.js';
import {
  apiVersionOf,
  bodyOf,
  nowRfc3339,
  partialMeta,
  rowSource,
  rvCompare,
  servedMeta,
  servedMetaView,
  storedJson,
  storedJsonWithMeta,
  toKube,
  writeStoredJson,
} from './objects.js';
import {
  boolParam,
  dryRun,
  fieldManager,
  fieldValidation,
  includeObject,
  intParam,
  resourceVersionParam,
  selectors,
  type ResourceRequest,
} from './request.js';
import {
  badRequest,
  conflict,
  fromStoreError,
  invalid,
  notAcceptable,
  notFound,
  StatusError,
  timeout,
  unsupportedMediaType,
  type StatusCause,
  type StoreErrorContext,
} from './status.js';
import { TableRenderer } from './table.js';
import { summariesMissing, withSummary } from './virtual.js';
import { isDnsLabel, metadataCauses, nameCauses, unknownFields, Validator } from './validate.js';

export interface ResourceDeps {
  store: Store;
  validator: Validator;
  tables: (def: ResourceDefinition) => TableRenderer;
  defaultMaxBodyBytes: number;
  /** Compute Table summaries from bodies when the store returns none (see fillSummaries). */
  summaryFallback: boolean;
  log: Logger;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
/** Attempts for read-modify-write cycles that lose a race (unconditional update, patch). */
const MAX_RETRIES = 5;
/** Internal pages of a JSON list the client did not page: first page, bounds, and target body bytes per page. */
const FIRST_BODY_PAGE = 50;
/** Objects up to this are answered as one string with Content-Length; larger ones are streamed. */
const SINGLE_WRITE_BYTES = 256 * 1024;
const MIN_BODY_PAGE = 10;
const MAX_BODY_PAGE = 1000;
const PAGE_BYTES = 32 * 1024 * 1024;
/** How long a read asking for a future resourceVersion may wait for it (kube waits ~3 s too). */
const FUTURE_RV_WAIT_MS = 3000;

/** generateName suffix alphabet and length of k8s.io/apiserver/pkg/storage/names (no vowels: no words). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function generateName(prefix: string): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return prefix.slice(0, 63 - 5) + s;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Resources {
  constructor(private readonly d: ResourceDeps) {}

  bodyLimit(def: ResourceDefinition): number {
    return def.maxBodyBytes > 0 ? def.maxBodyBytes : this.d.defaultMaxBodyBytes;
  }

  key(r: ResourceRequest, name = r.name ?? ''): ObjectKey {
    return { resource: resourceKey(r.def), namespace: r.def.namespaced ? (r.namespace ?? '') : '', name };
  }

  /** Store call with errors mapped once, here. */
  async call<T>(r: ResourceRequest, fn: () => Promise<T>, ctx: StoreErrorContext = 'read', name = r.name ?? ''): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw fromStoreError(e, r.def, name, ctx);
    }
  }

  /** `resourceVersion=N` (not "0") on a read: wait briefly for N to exist, else 504 as kube does. */
  async awaitRv(r: ResourceRequest, rv: string | undefined): Promise<void> {
    if (rv === undefined || rv === '0') return;
    const deadline = Date.now() + FUTURE_RV_WAIT_MS;
    for (;;) {
      const cur = await this.call(r, () => this.d.store.currentResourceVersion());
      if (rvCompare(cur, rv) >= 0) return;
      if (Date.now() > deadline) throw timeout(`Too large resource version: ${rv}, current: ${cur}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  // ---------------------------------------------------------------- reads

  async get(r: ResourceRequest): Promise<void> {
    const { out } = r;
    if (out.kind === 'pomlist')
      throw notAcceptable('you requested PartialObjectMetadataList, but the requested object is not a list (PartialObjectMetadata)');
    await this.awaitRv(r, resourceVersionParam(r.query));
    const table = out.kind === 'table' ? this.d.tables(r.def) : undefined;
    const incl = out.kind === 'table' ? includeObject(r.query) : 'None';
    const withBody = out.kind === 'json' || out.kind === 'yaml' || (table !== undefined && (table.needsBody || incl === 'Object'));
    const so = await this.call(r, () => this.d.store.get(this.key(r), { withBody }));
    if (so && table && !withBody && this.d.summaryFallback && summariesMissing(r.def, [so])) await this.fillSummaries(r, [so]);
    if (!so) throw notFound(r.def, r.name ?? '');
    await this.sendOne(r, so, 200);
  }

  /** Compute missing summaries from bodies, a few objects at a time (fallback, see list()). */
  async fillSummaries(r: ResourceRequest, items: StoredObject[]): Promise<void> {
    const todo = items.filter((i) => i.summary === undefined);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const so = todo[next++]!;
        const full = await this.call(r, () => this.d.store.get({ resource: so.resource, namespace: so.namespace, name: so.name }, { withBody: true }), 'read', so.name);
        if (full) so.summary = withSummary(r.def, full).summary;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  /**
   * Write one stored object in the negotiated form. `metadataJson`: the metadata text the store
   * was given for `so` (see storedJsonWithMeta), so JSON answers do not serialise it again.
   */
  async sendOne(r: ResourceRequest, so: StoredObject, code: number, metadataJson?: string): Promise<void> {
    const { res, out, def } = r;
    switch (out.kind) {
      case 'json':
        if (res.headersSent) return;
        if ((so.body?.length ?? 0) <= SINGLE_WRITE_BYTES) {
          // Small objects (the common create/update/get): one write with a Content-Length.
          const text = metadataJson === undefined ? storedJson(def, so) : storedJsonWithMeta(def, so, metadataJson);
          res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
        res.writeHead(code, { 'Content-Type': 'application/json' });
        await writeStoredJson(res, def, so);
        res.end();
        return;
      case 'yaml':
        sendYaml(res, code, toKube(def, so));
        return;
      case 'pom':
        sendJson(res, code, partialMeta(servedMeta(so), out.version), 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=' + out.version);
        return;
      case 'pomlist':
        throw notAcceptable('you requested PartialObjectMetadataList, but the requested object is not a list (PartialObjectMetadata)');
      case 'table': {
        const t = this.d.tables(def);
        const incl = includeObject(r.query);
        const src = rowSource(def, so);
        const full = so.body !== undefined ? toKube(def, so) : undefined;
        sendJson(
          res,
          code,
          {
            kind: 'Table',
            apiVersion: `meta.k8s.io/${out.version}`,
            metadata: { resourceVersion: so.resourceVersion },
            columnDefinitions: t.columns,
            rows: [t.row(full ? { ...src, object: full } : src, incl, out.version, () => full ?? toKube(def, so))],
          },
          `application/json;as=Table;v=${out.version};g=meta.k8s.io`,
        );
        return;
      }
    }
  }

  /** Parse and validate list parameters into store ListOptions (RV matrix of the API concepts doc). */
  listOptions(r: ResourceRequest, withBody: boolean): { opts: ListOptions; errCtx: StoreErrorContext; notOlderThan?: string } {
    const q = r.query;
    const sel = selectors(q);
    const limit = intParam(q, 'limit');
    const cont = q.get('continue') || undefined;
    const rv = resourceVersionParam(q);
    const match = q.get('resourceVersionMatch') || undefined;
    if (match !== undefined && match !== 'NotOlderThan' && match !== 'Exact')
      throw invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
        { reason: 'FieldValueNotSupported', field: 'resourceVersionMatch', message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"` },
      ]);
    if (match !== undefined && rv === undefined)
      throw invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
        { reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided' },
      ]);
    if (match === 'Exact' && rv === '0')
      throw invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
        { reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"' },
      ]);
    if (cont && rv !== undefined && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    if (cont && match) throw badRequest('resourceVersionMatch is forbidden when continue is provided');
    const opts: ListOptions = {
      resource: resourceKey(r.def),
      ...(r.def.namespaced && r.namespace !== undefined ? { namespace: r.namespace } : {}),
      ...sel,
      ...(limit ? { limit } : {}),
      ...(cont ? { continue: cont } : {}),
      withBody,
    };
    let errCtx: StoreErrorContext = cont ? 'list-continue' : 'read';
    let notOlderThan: string | undefined;
    // Exact: explicit, or the legacy "RV=N with limit" form (a paginated list at a snapshot).
    if (rv !== undefined && rv !== '0' && (match === 'Exact' || (match === undefined && limit && !cont))) {
      opts.atResourceVersion = rv;
      errCtx = 'list-exact';
    } else if (rv !== undefined && rv !== '0') notOlderThan = rv;
    return { opts, errCtx, ...(notOlderThan ? { notOlderThan } : {}) };
  }

  async list(r: ResourceRequest): Promise<void> {
    const { out, def, res } = r;
    if (out.kind === 'pom')
      throw notAcceptable('you requested PartialObjectMetadata, but the requested object is a list (PartialObjectMetadataList)');
    const table = out.kind === 'table' ? this.d.tables(def) : undefined;
    const incl = table ? includeObject(r.query) : 'None';
    // Metadata-only whenever the answer needs no body: bodies stay unread in the database.
    const withBody = out.kind === 'json' || out.kind === 'yaml' || (table !== undefined && (table.needsBody || incl === 'Object'));
    const { opts, errCtx, notOlderThan } = this.listOptions(r, withBody);
    if (out.kind === 'pomlist') opts.withSummary = false;
    // Listings that write each metadata out as is take it as the database's JSON text: no parse and
    // no re-serialisation per item (Table cells get the few fields they read: PrinterColumn.readsMetadata).
    if (out.kind === 'pomlist') opts.metadataJson = { labels: false, creationTimestamp: false };
    else if (table !== undefined && !opts.withBody && table.cellsReadFewMetadataFields)
      opts.metadataJson = { labels: table.cellsReadLabels, creationTimestamp: true };
    // A JSON list the client did not page is read in pages at one snapshot anyway, so memory is
    // bounded by a page, not by the collection (10,000 objects of 1 MB).
    const internalPaging = out.kind === 'json' && opts.limit === undefined && opts.continue === undefined;
    if (internalPaging) opts.limit = FIRST_BODY_PAGE;
    await this.awaitRv(r, notOlderThan);
    const result = await this.call(r, () => this.d.store.list(opts), errCtx);
    // Printer columns read stored summaries; a store that returns none forces reading the bodies
    // of this page, one object at a time (bounded memory), so cells are right rather than empty.
    if (table && !opts.withBody && this.d.summaryFallback && summariesMissing(def, result.items)) await this.fillSummaries(r, result.items);
    const listMeta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continue && !internalPaging) listMeta.continue = result.continue;
    if (result.remainingItemCount !== undefined && result.continue && !internalPaging) listMeta.remainingItemCount = result.remainingItemCount;
    switch (out.kind) {
      case 'json': {
        if (res.headersSent) return;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        await writeString(
          res,
          `{"apiVersion":${JSON.stringify(apiVersionOf(def))},"kind":${JSON.stringify(def.listKind)},"metadata":${JSON.stringify(listMeta)},"items":[`,
        );
        let page = result;
        let first = true;
        for (;;) {
          let bytes = 0;
          for (let i = 0; i < page.items.length; i++) {
            if (res.destroyed) return;
            if (!first) await writeString(res, ',');
            first = false;
            bytes += page.items[i]!.body?.length ?? 0;
            await writeStoredJson(res, def, page.items[i]!);
            page.items[i] = undefined as unknown as StoredObject; // let big bodies go as soon as written
          }
          if (!internalPaging || !page.continue) break;
          // Next page sized to about PAGE_BYTES of bodies.
          const avg = bytes / Math.max(1, page.items.length);
          const limit = Math.max(MIN_BODY_PAGE, Math.min(MAX_BODY_PAGE, Math.floor(PAGE_BYTES / Math.max(1, avg))));
          const cont = page.continue;
          // Mid-stream, a failure can only cut the response (sendStatus destroys the socket).
          page = await this.call(r, () => this.d.store.list({ ...opts, limit, continue: cont }), 'list-continue');
        }
        await writeString(res, ']}');
        res.end();
        return;
      }
      case 'yaml':
        sendYaml(res, 200, { apiVersion: apiVersionOf(def), kind: def.listKind, metadata: listMeta, items: result.items.map((so) => toKube(def, so)) });
        return;
      case 'pomlist': {
        // Streamed in 64 KiB writes, each item spliced around its stored metadata object: the
        // cost is one JSON.stringify of each metadata, as for a plain SELECT + serialisation.
        if (res.headersSent) return;
        res.writeHead(200, { 'Content-Type': `application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=${out.version}` });
        const head = `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/${out.version}","metadata":`;
        const items = result.items;
        await new BufferedWriter(res).arrayDocument(
          `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/${out.version}","metadata":${JSON.stringify(listMeta)},"items":[`,
          items.length,
          (i) => `${head}${items[i]!.metadataJson ?? JSON.stringify(servedMetaView(items[i]!))}}`,
        );
        return;
      }
      case 'table': {
        const t = table!;
        // Rows rendered as they are written: no array of 10,000 row objects first.
        await this.sendTable(r, t, listMeta, result.items.length, (i) => {
          const so = result.items[i]!;
          const src = rowSource(def, so);
          // No closure per row unless the row embeds the object.
          if (so.body === undefined) return t.rowJson(src, incl, out.version, incl === 'Object' ? () => toKube(def, so) : undefined);
          const full = toKube(def, so);
          return t.rowJson({ ...src, object: full }, incl, out.version, () => full);
        });
        return;
      }
    }
  }

  /** A Table document of `count` rows, `row(i)` being row i's JSON text (TableRenderer.rowJson). */
  async sendTable(r: ResourceRequest, t: TableRenderer, meta: Record<string, unknown>, count: number, row: (i: number) => string): Promise<void> {
    const v = r.out.kind === 'table' ? r.out.version : 'v1';
    const { res } = r;
    if (res.headersSent) return;
    res.writeHead(200, { 'Content-Type': `application/json;as=Table;v=${v};g=meta.k8s.io` });
    await new BufferedWriter(res).arrayDocument(
      `{"kind":"Table","apiVersion":"meta.k8s.io/${v}","metadata":${JSON.stringify(meta)},"columnDefinitions":${JSON.stringify(t.columns)},"rows":[`,
      count,
      row,
    );
  }

  // ---------------------------------------------------------------- decoding of write bodies

  async readObject(r: ResourceRequest): Promise<{ obj: KubeObject; raw: Record<string, unknown> }> {
    const ct = (r.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    const buf = await readBody(r.req, r.res, this.bodyLimit(r.def));
    let parsed: unknown;
    if (ct === 'application/json' || ct === '' || ct === '*/*') parsed = parseJson(buf);
    else if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') parsed = parseYaml(buf);
    else throw unsupportedMediaType(ct, ['application/json', 'application/yaml']);
    return this.asObject(r, parsed);
  }

  asObject(r: ResourceRequest, parsed: unknown): { obj: KubeObject; raw: Record<string, unknown> } {
    if (!isObject(parsed)) throw badRequest('the request body must be a JSON or YAML object');
    const { def } = r;
    const apiVersion = parsed.apiVersion;
    const kind = parsed.kind;
    if (typeof kind !== 'string' || !kind) throw badRequest(`Object 'Kind' is missing in the request body`);
    if (kind !== def.kind)
      throw badRequest(`the kind in the data (${kind}) does not match the expected kind (${def.kind}) for ${apiVersionOf(def)}, Resource=${def.plural}`);
    if (apiVersion !== apiVersionOf(def))
      throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
    const meta = parsed.metadata ?? {};
    if (!isObject(meta)) throw badRequest('metadata must be an object');
    const obj = { ...parsed, metadata: { ...meta } } as KubeObject;
    return { obj, raw: parsed };
  }

  /** Namespace rules: body namespace must match the URL's (400); cluster kinds carry none. */
  private placeNamespace(r: ResourceRequest, obj: KubeObject): void {
    const meta = obj.metadata;
    if (r.def.namespaced) {
      if (r.namespace === undefined) throw badRequest('a namespaced resource must be addressed under /namespaces/<namespace>/');
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== r.namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      if (!isDnsLabel(r.namespace))
        throw invalid(r.def, String(meta.name ?? ''), [
          { reason: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: "${r.namespace}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'` },
        ]);
      meta.namespace = r.namespace;
    } else delete meta.namespace;
  }

  /** Schema, metadata and kind checks; unknown fields per fieldValidation. Throws 422/400. */
  private check(r: ResourceRequest, obj: KubeObject, causes: StatusCause[] = []): void {
    const fv = fieldValidation(r.query);
    const all = [...causes, ...metadataCauses(obj.metadata), ...this.d.validator.validate(r.def, obj)];
    if (all.length) throw invalid(r.def, String(obj.metadata.name ?? ''), all);
    if (fv !== 'Ignore' && r.def.schema) {
      const unknown = unknownFields(r.def.schema, obj).filter((f) => !f.startsWith('metadata.') && f !== 'metadata');
      if (unknown.length && fv === 'Strict')
        throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
      for (const f of unknown) addWarning(r.res, `unknown field "${f}"`);
    }
  }

  // ---------------------------------------------------------------- create

  async create(r: ResourceRequest): Promise<void> {
    const { obj } = await this.readObject(r);
    const { so, metadataJson } = await this.createObject(r, obj, { manager: fieldManager(r.req, r.query), managed: 'update' });
    await this.sendOne(r, so, 201, metadataJson);
  }

  /**
   * Create from a decoded object. `managed: 'apply'` means managedFields were already computed by
   * server-side apply and must be kept.
   */
  async createObject(
    r: ResourceRequest,
    obj: KubeObject,
    o: { manager: string; managed: 'update' | 'apply' },
  ): Promise<{ so: StoredObject; metadataJson: string }> {
    const dry = dryRun(r.query);
    this.placeNamespace(r, obj);
    const meta = obj.metadata;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '')
      throw badRequest('resourceVersion should not be set on objects to be created');
    const generate = (!meta.name || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '';
    const causes: StatusCause[] = [];
    if (generate) {
      if (!/^[a-z0-9]([-a-z0-9.]*)?$/.test(meta.generateName as string))
        causes.push(...nameCauses(String(meta.generateName), 'metadata.generateName'));
    } else if (typeof meta.name !== 'string' || !meta.name) {
      causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
    } else causes.push(...nameCauses(meta.name));
    const now = nowRfc3339();
    meta.uid = randomUUID();
    meta.creationTimestamp = now;
    meta.generation = 1;
    // `delete` only what is there: deleting a property turns the object into a slow dictionary,
    // which every later copy and JSON.stringify of this metadata pays for.
    if ('resourceVersion' in meta) delete meta.resourceVersion;
    if ('deletionTimestamp' in meta) delete meta.deletionTimestamp;
    if ('deletionGracePeriodSeconds' in meta) delete meta.deletionGracePeriodSeconds;
    if ('selfLink' in meta) delete meta.selfLink;
    let attempt = 0;
    for (;;) {
      if (generate) meta.name = generateName(meta.generateName as string);
      let toStore: KubeObject = obj;
      if (o.managed === 'update') {
        if ('managedFields' in meta) delete meta.managedFields;
        toStore = recordUpdateManagedFields(undefined, obj, o.manager, 'Update', now);
      }
      this.check(r, toStore, causes);
      const m = toStore.metadata;
      // Serialised once: the store writes this text, and the response splices it (sendOne).
      // toStore is this request's own object, so the store may return it (adopt) instead of a
      // re-parsed copy; it has no resourceVersion (removed above).
      const metadata = typeof m.uid === 'string' ? (m as typeof m & { uid: string }) : { ...m, uid: String(m.uid) };
      const metadataJson = JSON.stringify(metadata);
      const body = bodyOf(toStore);
      try {
        const stored = await this.d.store.create(
          {
            resource: resourceKey(r.def),
            namespace: r.def.namespaced ? (r.namespace ?? '') : '',
            name: m.name,
            uid: metadata.uid,
            metadata,
            metadataJson,
            body,
            ...this.summary(r.def, toStore),
          },
          { dryRun: dry, adopt: true },
        );
        return { so: stored.body !== undefined ? stored : { ...stored, body }, metadataJson };
      } catch (e) {
        const mapped = fromStoreError(e, r.def, m.name, 'write');
        // A generated name collided: draw another suffix (kube leaves this to the client; we retry).
        if (generate && mapped instanceof StatusError && mapped.reason === 'AlreadyExists' && ++attempt < MAX_RETRIES) continue;
        throw mapped;
      }
    }
  }

  private summary(def: ResourceDefinition, obj: KubeObject): { summary?: Record<string, unknown> } {
    if (!def.summarize) return {};
    return { summary: def.summarize(obj) };
  }

  // ---------------------------------------------------------------- update / patch

  async update(r: ResourceRequest): Promise<void> {
    const { obj } = await this.readObject(r);
    const name = r.name ?? '';
    if (obj.metadata.name !== undefined && obj.metadata.name !== name)
      throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
    obj.metadata.name = name;
    const clientRv = typeof obj.metadata.resourceVersion === 'string' && obj.metadata.resourceVersion !== '' ? obj.metadata.resourceVersion : undefined;
    const manager = fieldManager(r.req, r.query);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.call(r, () => this.d.store.get(this.key(r), { withBody: true }));
      if (!existing) throw notFound(r.def, name);
      if (clientRv !== undefined && clientRv !== existing.resourceVersion) throw conflict(r.def, name);
      try {
        const so = await this.replace(r, existing, { ...obj, metadata: { ...obj.metadata } }, { manager, managed: 'update' });
        await this.sendOne(r, so, 200);
        return;
      } catch (e) {
        // Unconditional updates retry a lost race, as GuaranteedUpdate does; conditional ones report it.
        if (clientRv === undefined && e instanceof StatusError && e.reason === 'Conflict' && attempt < MAX_RETRIES) continue;
        throw e;
      }
    }
  }

  /**
   * Replace `existing` by `next`: immutable metadata is carried over, generation bumps when anything
   * but metadata changed, managedFields are recorded, and an object being deleted whose last
   * finalizer was just removed is deleted for good.
   */
  async replace(
    r: ResourceRequest,
    existing: StoredObject,
    next: KubeObject,
    o: { manager: string; managed: 'update' | 'apply' },
  ): Promise<StoredObject> {
    const dry = dryRun(r.query);
    this.placeNamespace(r, next);
    const before = toKube(r.def, existing);
    const old = before.metadata as Record<string, unknown>;
    const meta = next.metadata as Record<string, unknown>;
    const causes: StatusCause[] = [];
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== existing.uid)
      causes.push({ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `Invalid value: "${String(meta.uid)}": field is immutable` });
    meta.name = existing.name;
    meta.uid = existing.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
      const oldF = new Set((old.finalizers as string[] | undefined) ?? []);
      const added = ((meta.finalizers as string[] | undefined) ?? []).filter((f) => !oldF.has(f));
      if (added.length)
        causes.push({ reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` });
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    delete meta.selfLink;
    const changedBody = !deepEqual(JSON.parse(bodyOf(next)), JSON.parse(bodyOf(before)));
    const oldGen = typeof old.generation === 'number' ? old.generation : 1;
    meta.generation = changedBody ? oldGen + 1 : oldGen;
    const now = nowRfc3339();
    let toStore = next;
    if (o.managed === 'update') {
      // A client echoing managedFields back unchanged is the common case; the previous ones are
      // authoritative then. An explicit different list (e.g. [] to reset) is honoured.
      if (meta.managedFields === undefined || deepEqual(meta.managedFields, old.managedFields)) meta.managedFields = old.managedFields;
      toStore = recordUpdateManagedFields(before, next, o.manager, 'Update', now);
    }
    meta.resourceVersion = existing.resourceVersion;
    this.check(r, toStore, causes);
    const m = { ...toStore.metadata } as Record<string, unknown>;
    delete m.resourceVersion;
    const key = this.key(r, existing.name);
    const body = bodyOf(toStore);
    let stored: StoredObject;
    try {
      stored = await this.d.store.update(
        {
          ...key,
          uid: existing.uid,
          metadata: m as StoredObject['metadata'],
          body,
          ...this.summary(r.def, toStore),
          expectedResourceVersion: existing.resourceVersion,
        },
        { dryRun: dry },
      );
    } catch (e) {
      throw fromStoreError(e, r.def, existing.name, 'write');
    }
    if (stored.body === undefined) stored = { ...stored, body };
    const fin = (m.finalizers as string[] | undefined) ?? [];
    if (m.deletionTimestamp !== undefined && fin.length === 0) {
      try {
        await this.d.store.delete(key, { uid: existing.uid, resourceVersion: stored.resourceVersion }, { dryRun: dry });
      } catch (e) {
        const mapped = fromStoreError(e, r.def, existing.name, 'write');
        if (!(mapped instanceof StatusError && mapped.reason === 'NotFound')) throw mapped;
      }
    }
    return stored;
  }

  async patch(r: ResourceRequest): Promise<void> {
    const ct = (r.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!PATCH_TYPES.includes(ct)) throw unsupportedMediaType(ct, PATCH_TYPES);
    const buf = await readBody(r.req, r.res, this.bodyLimit(r.def));
    const name = r.name ?? '';
    const apply = ct === 'application/apply-patch+yaml';
    const patch = apply ? parseYaml(buf) : parseJson(buf);
    let manager: string;
    const force = boolParam(r.query, 'force');
    if (apply) {
      manager = r.query.get('fieldManager') ?? '';
      if (!manager)
        throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
          { reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' },
        ]);
    } else {
      if (r.query.has('force')) throw badRequest('force: Forbidden: may not be specified for non-apply patch');
      manager = fieldManager(r.req, r.query);
    }
    if (ct === 'application/json-patch+json' && !Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
    if (ct === 'application/merge-patch+json' && !isObject(patch)) throw badRequest('merge patch must be a JSON object');

    for (let attempt = 0; ; attempt++) {
      const existing = await this.call(r, () => this.d.store.get(this.key(r), { withBody: true }));
      let next: KubeObject;
      let pinnedRv = false;
      if (apply) {
        const { obj } = this.asObject(r, patch);
        if (obj.metadata.name !== undefined && obj.metadata.name !== name)
          throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
        obj.metadata.name = name;
        if (r.def.namespaced && obj.metadata.namespace === undefined && r.namespace) obj.metadata.namespace = r.namespace;
        const appliedRv = obj.metadata.resourceVersion;
        if (typeof appliedRv === 'string' && appliedRv !== '') {
          pinnedRv = true;
          if (!existing || appliedRv !== existing.resourceVersion) throw conflict(r.def, name);
        }
        const live = existing ? toKube(r.def, existing) : undefined;
        const result = applyServerSideApply({ ...(live ? { live } : {}), applied: obj, manager, force, now: nowRfc3339() });
        if ('conflicts' in result) {
          const causes = result.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}": ${c.field}`, field: c.field }));
          throw new StatusError(
            409,
            'Conflict',
            `Apply failed with ${causes.length} conflict${causes.length === 1 ? '' : 's'}: ${causes.map((c) => c.message).join(', ')}`,
            { name, group: r.def.group, kind: r.def.plural, causes },
          );
        }
        next = result.object;
        if (!existing) {
          delete next.metadata.resourceVersion;
          try {
            const { so, metadataJson } = await this.createObject(r, next, { manager, managed: 'apply' });
            await this.sendOne(r, so, 201, metadataJson);
            return;
          } catch (e) {
            if (e instanceof StatusError && e.reason === 'AlreadyExists' && attempt < MAX_RETRIES) continue;
            throw e;
          }
        }
      } else {
        if (!existing) throw notFound(r.def, name);
        const cur = toKube(r.def, existing);
        let patched: unknown;
        try {
          patched = ct === 'application/json-patch+json' ? applyJsonPatch(cur, patch as never) : applyMergePatch(cur, patch);
        } catch (e) {
          const status = (e as { status?: number }).status;
          const msg = e instanceof Error ? e.message : String(e);
          if (status === 422) throw invalid(r.def, name, [{ reason: 'FieldValueInvalid', message: msg }]);
          if (status === 400) throw badRequest(msg);
          throw e;
        }
        const { obj } = this.asObject(r, patched);
        const prv = obj.metadata.resourceVersion;
        if (typeof prv === 'string' && prv !== '' && prv !== existing.resourceVersion) throw conflict(r.def, name);
        pinnedRv = (isObject(patch) && isObject(patch.metadata) && 'resourceVersion' in patch.metadata) || Array.isArray(patch);
        if (obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
        next = obj;
      }
      try {
        const so = await this.replace(r, existing, next, { manager, managed: apply ? 'apply' : 'update' });
        await this.sendOne(r, so, 200);
        return;
      } catch (e) {
        // JSON patch `test` ops and explicit RVs are preconditions on the state read: report the race.
        if (!pinnedRv && e instanceof StatusError && e.reason === 'Conflict' && !e.details?.causes && attempt < MAX_RETRIES) continue;
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------- delete

  async deleteOptions(r: ResourceRequest): Promise<{ uid?: string; resourceVersion?: string }> {
    let opts: Record<string, unknown> = {};
    const len = r.req.headers['content-length'];
    if ((len !== undefined && len !== '0') || r.req.headers['transfer-encoding']) {
      const buf = await readBody(r.req, r.res, 1 << 20);
      if (buf.length) {
        const parsed = parseJson(buf);
        if (!isObject(parsed)) throw badRequest('DeleteOptions must be an object');
        opts = parsed;
      }
    }
    const dr = opts.dryRun;
    if (Array.isArray(dr) && dr.includes('All') && !r.query.getAll('dryRun').includes('All')) r.query.append('dryRun', 'All');
    const pre = isObject(opts.preconditions) ? opts.preconditions : {};
    return {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    };
  }

  async delete(r: ResourceRequest): Promise<void> {
    const pre = await this.deleteOptions(r);
    const result = await this.deleteOne(r, r.name ?? '', pre);
    if (result.pending) {
      await this.sendOne(r, result.object, 200);
      return;
    }
    sendJson(r.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: r.name, group: r.def.group, kind: r.def.plural, uid: result.object.uid },
    });
  }

  /**
   * Delete one object: preconditions first; with finalizers the object only gets a
   * deletionTimestamp and stays until an update empties them.
   */
  async deleteOne(r: ResourceRequest, name: string, pre: { uid?: string; resourceVersion?: string }): Promise<{ object: StoredObject; pending: boolean }> {
    const dry = dryRun(r.query);
    const key = this.key(r, name);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.call(r, () => this.d.store.get(key, { withBody: false }), 'read', name);
      if (!existing) throw notFound(r.def, name);
      if (pre.uid !== undefined && pre.uid !== existing.uid)
        throw conflict(r.def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.uid}`);
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== existing.resourceVersion)
        throw conflict(r.def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.resourceVersion}`);
      const fin = (existing.metadata.finalizers as string[] | undefined) ?? [];
      try {
        if (fin.length === 0) {
          const gone = await this.d.store.delete(key, { uid: existing.uid, resourceVersion: existing.resourceVersion }, { dryRun: dry });
          return { object: gone, pending: false };
        }
        if (existing.metadata.deletionTimestamp !== undefined) {
          const full = await this.d.store.get(key, { withBody: true });
          if (!full) throw notFound(r.def, name);
          return { object: full, pending: true };
        }
        const full = await this.d.store.get(key, { withBody: true });
        if (!full) throw notFound(r.def, name);
        const meta = { ...full.metadata, deletionTimestamp: nowRfc3339(), deletionGracePeriodSeconds: 0 };
        delete meta.resourceVersion;
        const updated = await this.d.store.update(
          { ...key, uid: full.uid, metadata: meta, body: full.body ?? '{}', ...(full.summary ? { summary: full.summary } : {}), expectedResourceVersion: full.resourceVersion },
          { dryRun: dry },
        );
        return { object: updated.body === undefined ? { ...updated, body: full.body ?? '{}' } : updated, pending: true };
      } catch (e) {
        // Lost a race with another writer between our read and the conditional write: re-read.
        if (e instanceof ConflictError && pre.resourceVersion === undefined && attempt < MAX_RETRIES) continue;
        throw fromStoreError(e, r.def, name, 'write');
      }
    }
  }

  async deleteCollection(r: ResourceRequest): Promise<void> {
    await this.deleteOptions(r);
    const sel = selectors(r.query);
    const deleted: Record<string, unknown>[] = [];
    let cont: string | undefined;
    do {
      const page = await this.call(r, () =>
        this.d.store.list({
          resource: resourceKey(r.def),
          ...(r.def.namespaced && r.namespace !== undefined ? { namespace: r.namespace } : {}),
          ...sel,
          limit: 500,
          ...(cont ? { continue: cont } : {}),
          withBody: false,
        }),
      );
      for (const so of page.items) {
        try {
          const { object } = await this.deleteOne({ ...r, namespace: so.namespace || r.namespace }, so.name, {});
          deleted.push({ apiVersion: apiVersionOf(r.def), kind: r.def.kind, metadata: servedMeta(object) });
        } catch (e) {
          // Deleted concurrently by someone else: that is the outcome we wanted.
          if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
        }
      }
      cont = page.continue;
    } while (cont);
    const current = await this.call(r, () => this.d.store.currentResourceVersion());
    sendJson(r.res, 200, { apiVersion: apiVersionOf(r.def), kind: r.def.listKind, metadata: { resourceVersion: current }, items: deleted });
  }
}

export function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function parseYaml(buf: Buffer): unknown {
  try {
    // One document only; YAML is a superset of JSON so JSON bodies parse too.
    return yamlParse(buf.toString('utf8'), { maxAliasCount: 100 });
  } catch (e) {
    throw badRequest(`the request body is not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
}
