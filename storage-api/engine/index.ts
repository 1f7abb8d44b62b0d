/**
 * The generic Kubernetes API engine of storage-api: a node `(req, res)` handler serving discovery,
 * OpenAPI, health, version and every verb on the registered kinds, from ResourceDefinitions alone.
 *
 * Request pipeline: route → health (unauthenticated) → max-in-flight → authenticate → authorize →
 * negotiate output → verb handler, all bounded by the request timeout (watches excepted: they have
 * their own `timeoutSeconds`). Every failure leaves as a metav1.Status.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger as rootLogger, type Logger } from '../../lib/log/index.js';
import type { Authenticator, Authorizer, RequestAttributes, UserInfo } from '../auth/types.js';
import { buildDiscovery, buildOpenApi } from '../discovery/index.js';
import type { KubeObject, ResourceDefinition } from '../registry/types.js';
import { resourceKey } from '../registry/types.js';
import type { Store } from '../store/types.js';
import { sendJson, sendStatus, sendText, sendYaml } from './http.js';
import { acceptsJson, negotiateDiscovery, negotiateObject, parseAccept } from './negotiate.js';
import { apiVersionOf, partialMeta } from './objects.js';
import { includeObject, requestUrl, resourceVersionParam, selectors, type RequestUrl, type ResourceRequest } from './request.js';
import { Resources } from './resources.js';
import { Router, type Route } from './routes.js';
import {
  internalError,
  methodNotAllowed,
  notAcceptable,
  notFound,
  notFoundPath,
  qualifiedResource,
  StatusError,
  timeout,
  tooManyRequests,
} from './status.js';
import { TableRenderer } from './table.js';
import { Validator } from './validate.js';
import { Virtuals } from './virtual.js';
import { Watcher } from './watch.js';
import { WatchStats } from './watchstats.js';

export interface EngineConfig {
  /** Bound for every non-watch request (kube-apiserver's --request-timeout). */
  requestTimeoutMs: number;
  /** Concurrent non-mutating / mutating requests before 429 (watches are long-running: not counted). */
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  /** Body limit for kinds that do not state one. */
  defaultMaxBodyBytes: number;
  /** Watch duration without timeoutSeconds: random in [min, 2·min]; timeoutSeconds capped at max. */
  minWatchTimeoutMs: number;
  maxWatchTimeoutMs: number;
  bookmarkIntervalMs: number;
  /**
   * When the store returns objects without the summaries their kind defines, compute Table cells
   * and virtual kinds from bodies (correct but reads bodies). Off: cells of such objects are empty.
   */
  summaryFallback: boolean;
  version: { gitVersion: string; gitCommit?: string; buildDate?: string };
}

export const defaultEngineConfig: EngineConfig = {
  requestTimeoutMs: 60_000,
  maxRequestsInflight: 400,
  maxMutatingRequestsInflight: 200,
  defaultMaxBodyBytes: 3 * 1024 * 1024,
  minWatchTimeoutMs: 30 * 60_000,
  maxWatchTimeoutMs: 2 * 60 * 60_000,
  bookmarkIntervalMs: 60_000,
  summaryFallback: true,
  version: { gitVersion: 'v0.1.0' },
};

export interface EngineOptions {
  store: Store;
  resources: ResourceDefinition[];
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  config?: Partial<EngineConfig>;
  logger?: Logger;
}

export type StorageEngine = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** End every open watch (graceful shutdown); resolves when the handlers have unwound. */
  close(): Promise<void>;
  readonly activeWatches: number;
  /** Watch delivery metrics (store commit → socket write latency, writes, bytes). */
  readonly watchStats: WatchStats;
};

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function etagOf(value: unknown): { etag: string; text: string } {
  const text = JSON.stringify(value);
  return { etag: `"${createHash('sha512').update(text).digest('hex').slice(0, 32)}"`, text };
}

export function createStorageEngine(opts: EngineOptions): StorageEngine {
  const cfg: EngineConfig = { ...defaultEngineConfig, ...opts.config };
  const log = opts.logger ?? rootLogger('storage-api');
  const defs = opts.resources;
  const router = new Router(defs);
  const byKey = new Map(defs.map((d) => [resourceKey(d), d]));
  for (const d of defs)
    if (d.virtual && !byKey.has(d.virtual.from)) throw new Error(`virtual kind ${d.kind} reads ${d.virtual.from}, which is not served`);

  const validator = new Validator();
  for (const d of defs) validator.compile(d);
  const tableCache = new Map<ResourceDefinition, TableRenderer>();
  const tables = (d: ResourceDefinition): TableRenderer => {
    let t = tableCache.get(d);
    if (!t) tableCache.set(d, (t = new TableRenderer(d)));
    return t;
  };
  const discovery = buildDiscovery(defs);
  const openapi = buildOpenApi(defs);
  const hasCore = defs.some((d) => d.group === '');
  // Discovery documents are immutable for the life of the process: serialize and hash once.
  const docCache = new Map<string, { etag: string; text: string } | undefined>();
  const doc = (key: string, build: () => object | undefined): { etag: string; text: string } | undefined => {
    if (!docCache.has(key)) {
      const v = build();
      docCache.set(key, v === undefined ? undefined : etagOf(v));
    }
    return docCache.get(key);
  };

  const active = new Set<() => void>();
  const watchStats = new WatchStats();
  const virtuals = new Virtuals(opts.store, byKey, cfg.summaryFallback);
  const resources = new Resources({
    store: opts.store,
    validator,
    tables,
    defaultMaxBodyBytes: cfg.defaultMaxBodyBytes,
    summaryFallback: cfg.summaryFallback,
    log,
  });
  const watcher = new Watcher({
    store: opts.store,
    tables,
    virtuals,
    log,
    bookmarkIntervalMs: cfg.bookmarkIntervalMs,
    summaryFallback: cfg.summaryFallback,
    minTimeoutMs: cfg.minWatchTimeoutMs,
    maxTimeoutMs: cfg.maxWatchTimeoutMs,
    active,
    stats: watchStats,
  });

  let inflight = 0;
  let inflightMutating = 0;
  const pending = new Set<Promise<void>>();

  function sendDoc(req: IncomingMessage, res: ServerResponse, d: { etag: string; text: string } | undefined, contentType = 'application/json'): void {
    if (!d) throw notFoundPath();
    res.setHeader('ETag', d.etag);
    res.setHeader('Vary', 'Accept');
    if (req.headers['if-none-match'] === d.etag) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(d.text) });
    res.end(d.text);
  }

  async function health(route: Extract<Route, { type: 'health' }>, url: RequestUrl, res: ServerResponse): Promise<void> {
    const checks: [string, () => Promise<void>][] = [['ping', async () => {}]];
    if (route.endpoint === 'readyz') {
      checks.push([
        'store',
        () =>
          Promise.race([
            opts.store.ping(),
            new Promise<void>((_, rej) => setTimeout(() => rej(new Error('store ping timed out')), 5000).unref()),
          ]),
      ]);
      checks.push(['shutdown', async () => {
        if (closing) throw new Error('shutting down');
      }]);
    }
    const excluded = new Set(url.searchParams.getAll('exclude'));
    const selected = route.check ? checks.filter(([n]) => n === route.check) : checks.filter(([n]) => !excluded.has(n));
    if (route.check && selected.length === 0) throw notFoundPath();
    const lines: string[] = [];
    let ok = true;
    for (const [name, fn] of selected) {
      try {
        await fn();
        lines.push(`[+]${name} ok`);
      } catch (e) {
        ok = false;
        lines.push(`[-]${name} failed: reason withheld`);
        log.warn({ check: name, err: e }, `${route.endpoint} check failed`);
      }
    }
    const verbose = url.searchParams.has('verbose');
    if (ok) sendText(res, 200, verbose ? `${lines.join('\n')}\n${route.endpoint} check passed\n` : 'ok');
    else sendText(res, 500, `${lines.join('\n')}\n${route.endpoint} check failed\n`);
  }

  function attributes(req: IncomingMessage, route: Route, url: RequestUrl): RequestAttributes {
    const method = (req.method ?? 'GET').toUpperCase();
    if (route.type !== 'resource')
      return { verb: method.toLowerCase(), apiGroup: '', apiVersion: '', resource: '', path: url.pathname, resourceRequest: false };
    const watch = url.searchParams.get('watch');
    const isWatch = watch === 'true' || watch === '1';
    let verb: string;
    switch (method) {
      case 'GET':
      case 'HEAD':
        verb = isWatch ? 'watch' : route.name ? 'get' : 'list';
        break;
      case 'POST':
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = route.name ? 'delete' : 'deletecollection';
        break;
      default:
        verb = method.toLowerCase();
    }
    return {
      verb,
      apiGroup: route.def.group,
      apiVersion: route.def.version,
      resource: route.def.plural,
      ...(route.subresource ? { subresource: route.subresource } : {}),
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route.name !== undefined ? { name: route.name } : {}),
      resourceRequest: true,
    };
  }

  function forbidden(user: UserInfo, a: RequestAttributes, reason: string): StatusError {
    const why = reason ? `: ${reason}` : '';
    if (!a.resourceRequest)
      return new StatusError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"${why}`, {});
    const res = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
    const target = a.name ? `${res} "${a.name}"` : res;
    const scope = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
    return new StatusError(
      403,
      'Forbidden',
      `${target} is forbidden: User "${user.name}" cannot ${a.verb} resource "${a.resource}" in API group "${a.apiGroup}"${scope}${why}`,
      { ...(a.name ? { name: a.name } : {}), group: a.apiGroup, kind: a.resource },
    );
  }

  async function discoveryRoute(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ranges = parseAccept(req.headers.accept);
    switch (route.type) {
      case 'api':
      case 'apis': {
        const out = negotiateDiscovery(ranges);
        if (!out) throw notAcceptable('only application/json and aggregated discovery (apidiscovery.k8s.io/v2) are served');
        if (route.type === 'api' && !hasCore) throw notFoundPath();
        if (out.kind === 'aggregated') {
          const d = doc(`${route.type}-agg-${out.version}`, () => {
            const v = route.type === 'api' ? discovery.aggregatedCore() : discovery.aggregatedApis();
            return out.version === 'v2' ? v : { ...(v as Record<string, unknown>), apiVersion: 'apidiscovery.k8s.io/v2beta1' };
          });
          sendDoc(req, res, d, `application/json;g=apidiscovery.k8s.io;v=${out.version};as=APIGroupDiscoveryList`);
          return;
        }
        sendDoc(req, res, doc(route.type, () => (route.type === 'api' ? discovery.coreApiVersions() : discovery.apiGroupList())));
        return;
      }
      case 'apiVersion':
      case 'group':
      case 'groupVersion': {
        if (!acceptsJson(ranges)) throw notAcceptable('only application/json is served for discovery');
        if (route.type === 'apiVersion') sendDoc(req, res, doc(`api/${route.version}`, () => discovery.apiResourceList('', route.version)));
        else if (route.type === 'group') sendDoc(req, res, doc(`g/${route.group}`, () => discovery.apiGroup(route.group)));
        else sendDoc(req, res, doc(`gv/${route.group}/${route.version}`, () => discovery.apiResourceList(route.group, route.version)));
        return;
      }
      case 'openapiV2':
        if (!acceptsJson(ranges)) throw notAcceptable('only application/json is served for OpenAPI v2 (no protobuf)');
        sendDoc(req, res, doc('openapi-v2', () => openapi.v2()));
        return;
      case 'openapiV3Index':
        sendDoc(req, res, doc('openapi-v3', () => openapi.v3Index()));
        return;
      case 'openapiV3': {
        const d = doc(`openapi-v3/${route.path}`, () => openapi.v3(route.path));
        // The index links carry ?hash=<etag>: those URLs are immutable and may be cached forever.
        if (d && new URL(req.url ?? '/', 'http://x').searchParams.has('hash')) res.setHeader('Cache-Control', 'public, immutable');
        sendDoc(req, res, d);
        return;
      }
      case 'version': {
        const v = cfg.version.gitVersion.replace(/^v/, '').split(/[.+-]/);
        sendJson(res, 200, {
          major: v[0] ?? '0',
          minor: v[1] ?? '0',
          gitVersion: cfg.version.gitVersion,
          gitCommit: cfg.version.gitCommit ?? '',
          gitTreeState: 'clean',
          buildDate: cfg.version.buildDate ?? '',
          goVersion: `node${process.versions.node}`,
          compiler: 'tsc',
          platform: `${process.platform}/${process.arch}`,
        });
        return;
      }
      default:
        throw notFoundPath();
    }
  }

  /** Virtual (computed) kinds: read-only; get/list compute from the sources' stored summaries. */
  async function virtualRoute(r: ResourceRequest, verb: string): Promise<void> {
    const { def, out, res } = r;
    if (verb === 'watch') return watcher.watch(r);
    if (verb !== 'get' && verb !== 'list')
      throw methodNotAllowed(`${verb} is not supported on ${qualifiedResource(def)}: it is computed from ${def.virtual!.from} and read-only`, def, r.name);
    const sendObjs = (items: KubeObject[], listRv: string | undefined): void => {
      const isList = listRv !== undefined;
      const av = apiVersionOf(def);
      switch (out.kind) {
        case 'json':
        case 'yaml': {
          const body = isList ? { apiVersion: av, kind: def.listKind, metadata: { resourceVersion: listRv }, items } : items[0];
          if (out.kind === 'json') sendJson(res, 200, body);
          else sendYaml(res, 200, body);
          return;
        }
        case 'pom':
          if (isList) throw notAcceptable('you requested PartialObjectMetadata, but the requested object is a list (PartialObjectMetadataList)');
          sendJson(res, 200, partialMeta(items[0]!.metadata, out.version));
          return;
        case 'pomlist':
          if (!isList) throw notAcceptable('you requested PartialObjectMetadataList, but the requested object is not a list (PartialObjectMetadata)');
          sendJson(res, 200, {
            kind: 'PartialObjectMetadataList',
            apiVersion: `meta.k8s.io/${out.version}`,
            metadata: { resourceVersion: listRv },
            items: items.map((o) => partialMeta(o.metadata, out.version)),
          });
          return;
        case 'table': {
          const t = tables(def);
          const incl = includeObject(r.query);
          sendJson(res, 200, {
            kind: 'Table',
            apiVersion: `meta.k8s.io/${out.version}`,
            metadata: { resourceVersion: listRv ?? items[0]?.metadata.resourceVersion },
            columnDefinitions: t.columns,
            rows: items.map((o) => t.row({ apiVersion: av, kind: def.kind, metadata: o.metadata as never, object: o }, incl, out.version, () => o)),
          }, `application/json;as=Table;v=${out.version};g=meta.k8s.io`);
          return;
        }
      }
    };
    if (verb === 'get') {
      const obj = await resources.call(r, () => virtuals.get(def, r.namespace ?? '', r.name ?? ''));
      if (!obj) throw notFound(def, r.name ?? '');
      sendObjs([{ ...obj, apiVersion: apiVersionOf(def), kind: def.kind }], undefined);
      return;
    }
    const sel = selectors(r.query);
    const rv = resourceVersionParam(r.query);
    const exact = r.query.get('resourceVersionMatch') === 'Exact' && rv !== undefined && rv !== '0' ? rv : undefined;
    const { items, resourceVersion } = await resources.call(
      r,
      () => virtuals.list(def, { ...(def.namespaced && r.namespace !== undefined ? { namespace: r.namespace } : {}), ...sel }, exact),
      exact ? 'list-exact' : 'read',
    );
    sendObjs(items.map((o) => ({ ...o, apiVersion: apiVersionOf(def), kind: def.kind })), resourceVersion);
  }

  async function resourceRoute(route: Extract<Route, { type: 'resource' }>, req: IncomingMessage, res: ServerResponse, url: RequestUrl, verb: string, user?: UserInfo): Promise<void> {
    const { def } = route;
    if (route.subresource) throw notFoundPath();
    const out = negotiateObject(parseAccept(req.headers.accept));
    if (!out)
      throw notAcceptable(
        'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata[List];v=v1;g=meta.k8s.io',
      );
    const r: ResourceRequest = {
      req,
      res,
      query: url.searchParams,
      def,
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route.name !== undefined ? { name: route.name } : {}),
      out,
      ...(user ? { user } : {}),
    };
    // A namespaced kind can only be created/changed under its namespace path.
    if (def.namespaced && route.namespace === undefined && !['list', 'watch'].includes(verb))
      throw methodNotAllowed(`${verb} of ${qualifiedResource(def)} requires a namespace in the URL (/namespaces/<ns>/${def.plural})`, def);
    if (def.virtual) return virtualRoute(r, verb);
    switch (verb) {
      case 'get':
        return resources.get(r);
      case 'list':
        return resources.list(r);
      case 'watch':
        return watcher.watch(r);
      case 'create':
        if (route.name) throw methodNotAllowed('POST is not allowed on a named object; use PUT or PATCH', def, route.name);
        return resources.create(r);
      case 'update':
        return resources.update(r);
      case 'patch':
        return resources.patch(r);
      case 'delete':
        return resources.delete(r);
      case 'deletecollection':
        return resources.deleteCollection(r);
      default:
        throw methodNotAllowed(`the server does not allow this method on the requested resource`, def, route.name);
    }
  }

  function verbAllowed(def: ResourceDefinition, verb: string): boolean {
    // The definition's advertised verbs are the contract (virtual kinds: get, list, watch).
    return def.verbs.length === 0 || def.verbs.includes(verb);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url);
    const route = router.route(url.pathname);
    const wantsYaml = (req.headers.accept ?? '').includes('yaml');
    if (route.type === 'health') {
      try {
        await health(route, url, res);
      } catch (e) {
        if (e instanceof StatusError) sendStatus(res, e);
        else throw e;
      }
      return;
    }
    const attrs = attributes(req, route, url);
    const isWatch = attrs.verb === 'watch';
    const mutating = MUTATING.has((req.method ?? 'GET').toUpperCase());
    // max-requests-inflight: long-running watches are exempt, as in kube-apiserver.
    if (!isWatch) {
      if (mutating ? inflightMutating >= cfg.maxMutatingRequestsInflight : inflight >= cfg.maxRequestsInflight) {
        sendStatus(res, tooManyRequests(), wantsYaml);
        return;
      }
      if (mutating) inflightMutating++;
      else inflight++;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = (async (): Promise<void> => {
        let user: UserInfo | undefined;
        if (opts.authenticator) {
          const a = await opts.authenticator.authenticate(req);
          if (!a.ok) throw new StatusError(401, 'Unauthorized', a.message || 'Unauthorized', {});
          user = a.user;
        }
        if (opts.authorizer && user) {
          const z = await opts.authorizer.authorize(user, attrs);
          if (!z.allowed) {
            if (z.unavailable) {
              log.error({ reason: z.reason, attrs }, 'authorization unavailable');
              throw new StatusError(500, 'InternalError', 'Internal error occurred: authorization could not be determined, please retry', { retryAfterSeconds: 1 });
            }
            throw forbidden(user, attrs, z.reason);
          }
        }
        if (route.type === 'notFound') throw notFoundPath();
        if (route.type !== 'resource') {
          if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed('only GET is allowed here');
          return discoveryRoute(route, req, res);
        }
        if (!verbAllowed(route.def, attrs.verb))
          throw methodNotAllowed(`${attrs.verb} is not supported on ${qualifiedResource(route.def)}`, route.def, route.name);
        return resourceRoute(route, req, res, url, attrs.verb, user);
      })();
      if (isWatch) await work;
      else {
        const limit = requestTimeout(url);
        await Promise.race([
          work,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(timeout()), limit);
          }),
        ]);
      }
    } catch (e) {
      if (e instanceof StatusError) {
        if (e.code >= 500) log.warn({ code: e.code, reason: e.reason, msg: e.message, path: url.pathname }, 'request failed');
        sendStatus(res, e, wantsYaml);
      } else {
        // No stack or internals to the client: they are in the log, keyed by method and path.
        log.error({ err: e, method: req.method, path: url.pathname }, 'internal error');
        sendStatus(res, internalError(), wantsYaml);
      }
    } finally {
      if (timer) clearTimeout(timer);
      if (!isWatch) {
        if (mutating) inflightMutating--;
        else inflight--;
      }
    }
  }

  /** `?timeout=` (client-go sends it) may shorten, never lengthen, the server's bound. */
  function requestTimeout(url: RequestUrl): number {
    const t = url.searchParams.get('timeout');
    if (t) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(t);
      if (m) {
        const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
        if (ms > 0) return Math.min(ms, cfg.requestTimeoutMs);
      }
    }
    return cfg.requestTimeoutMs;
  }

  let closing = false;
  const engine = ((req: IncomingMessage, res: ServerResponse): void => {
    const p = handle(req, res).catch((e: unknown) => {
      log.error({ err: e }, 'unhandled request failure');
      if (!res.headersSent) sendStatus(res, internalError());
      else res.destroy();
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }) as StorageEngine;
  engine.close = async (): Promise<void> => {
    closing = true;
    for (const stop of [...active]) stop();
    await Promise.allSettled([...pending]);
  };
  Object.defineProperty(engine, 'activeWatches', { get: () => active.size });
  Object.defineProperty(engine, 'watchStats', { value: watchStats });
  return engine;
}
