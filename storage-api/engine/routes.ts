/**
 * URL → route. Resource paths follow kube-apiserver:
 *   /apis/<g>/<v>/<plural>[/<name>]                    cluster-scoped, or all namespaces (list/watch)
 *   /apis/<g>/<v>/namespaces/<ns>/<plural>[/<name>]    namespaced
 *   /api/v1/...                                        the same for the core group (sandbox kinds)
 * `namespaces` itself is a cluster-scoped core kind: /api/v1/namespaces/<name> is that object, while
 * /api/v1/namespaces/<ns>/<plural> is a namespaced collection.
 */
import type { ResourceDefinition } from '../registry/types.js';

export type Route =
  | { type: 'health'; endpoint: 'healthz' | 'livez' | 'readyz'; check?: string }
  | { type: 'version' }
  | { type: 'api' }
  | { type: 'apiVersion'; version: string }
  | { type: 'apis' }
  | { type: 'group'; group: string }
  | { type: 'groupVersion'; group: string; version: string }
  | { type: 'openapiV2' }
  | { type: 'openapiV3Index' }
  | { type: 'openapiV3'; path: string }
  | {
      type: 'resource';
      def: ResourceDefinition;
      /** Namespace from the URL; undefined for cluster paths. */
      namespace?: string;
      name?: string;
      subresource?: string;
    }
  | { type: 'notFound' };

const MAX_CACHED_ROUTES = 1024;
const MAX_CACHED_PATH = 512;

export class Router {
  private readonly byGvr = new Map<string, ResourceDefinition>();
  private readonly gvs = new Set<string>();

  constructor(defs: ResourceDefinition[]) {
    for (const d of defs) {
      this.byGvr.set(`${d.group}/${d.version}/${d.plural}`, d);
      this.gvs.add(`${d.group}/${d.version}`);
    }
  }

  lookup(group: string, version: string, plural: string): ResourceDefinition | undefined {
    return this.byGvr.get(`${group}/${version}/${plural}`);
  }

  /**
   * Routes of recent paths: a client writing or reading one collection sends the same path on
   * every request, and splitting/decoding it cost ~1 % of a create's CPU. Routes are frozen (shared
   * between requests); the cache is bounded and simply starts over when full.
   */
  private readonly cache = new Map<string, Route>();

  route(pathname: string): Route {
    const hit = this.cache.get(pathname);
    if (hit) return hit;
    const r = Object.freeze(this.parse(pathname));
    if (pathname.length <= MAX_CACHED_PATH) {
      if (this.cache.size >= MAX_CACHED_ROUTES) this.cache.clear();
      this.cache.set(pathname, r);
    }
    return r;
  }

  private parse(pathname: string): Route {
    // Trailing slashes are tolerated as kube-apiserver does for discovery paths.
    const clean = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
    let segs: string[];
    try {
      segs = clean.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return { type: 'notFound' };
    }
    const [s0, s1, s2, ...rest] = segs;
    switch (s0) {
      case 'healthz':
      case 'livez':
      case 'readyz':
        if (segs.length > 2) return { type: 'notFound' };
        return { type: 'health', endpoint: s0, ...(s1 ? { check: s1 } : {}) };
      case 'version':
        return segs.length === 1 ? { type: 'version' } : { type: 'notFound' };
      case 'openapi':
        if (s1 === 'v2' && segs.length === 2) return { type: 'openapiV2' };
        if (s1 === 'v3' && segs.length === 2) return { type: 'openapiV3Index' };
        if (s1 === 'v3') return { type: 'openapiV3', path: segs.slice(2).join('/') };
        return { type: 'notFound' };
      case 'api':
        if (s1 === undefined) return { type: 'api' };
        if (s2 === undefined) return { type: 'apiVersion', version: s1 };
        return this.resource('', s1, [s2, ...rest]);
      case 'apis':
        if (s1 === undefined) return { type: 'apis' };
        if (s2 === undefined) return { type: 'group', group: s1 };
        if (rest.length === 0) return { type: 'groupVersion', group: s1, version: s2 };
        return this.resource(s1, s2, rest);
      default:
        return { type: 'notFound' };
    }
  }

  private resource(group: string, version: string, segs: string[]): Route {
    if (!this.gvs.has(`${group}/${version}`)) return { type: 'notFound' };
    if (segs.some((s) => s === '')) return { type: 'notFound' };
    // Namespaced form: namespaces/<ns>/<plural>[/<name>[/<sub>]]. Anything shorter under
    // `namespaces` addresses the (core, cluster-scoped) Namespace kind itself.
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      const nsDef = this.lookup(group, version, 'namespaces');
      const def = this.lookup(group, version, segs[2]!);
      // /api/v1/namespaces/<name>/status|finalize are subresources of a Namespace.
      if (!def && nsDef && segs.length === 3)
        return { type: 'resource', def: nsDef, name: segs[1]!, subresource: segs[2]! };
      if (!def || !def.namespaced || segs.length > 5) return { type: 'notFound' };
      return {
        type: 'resource',
        def,
        namespace: segs[1]!,
        ...(segs[3] !== undefined ? { name: segs[3] } : {}),
        ...(segs[4] !== undefined ? { subresource: segs[4] } : {}),
      };
    }
    const def = this.lookup(group, version, segs[0]!);
    if (!def || segs.length > 3) return { type: 'notFound' };
    // A namespaced kind has no cluster-level single-object path: /apis/g/v/<plural>/<name> is 404.
    if (def.namespaced && segs.length > 1) return { type: 'notFound' };
    return {
      type: 'resource',
      def,
      ...(segs[1] !== undefined ? { name: segs[1] } : {}),
      ...(segs[2] !== undefined ? { subresource: segs[2] } : {}),
    };
  }
}
