/**
 * Destination resolution: what Knative's addressable resolver does in the cluster (ref → the
 * object's `status.address.url`, then append a relative `uri`), with a caller-supplied mapping from
 * refs to local URLs since nothing here runs behind cluster DNS.
 */
import type { Destination, KReference } from './config.js';

export interface ResolveContext {
  /** What holds the destination, for error messages: `Trigger kscape/kscape-scan-requested`. */
  readonly referrer: string;
  /** `subscriber`, `deadLetterSink` or `sink`. */
  readonly field: string;
}

/**
 * Map a destination to a local URL. Called with `{ref}` for object references and `{uri}` for
 * plain URIs. Return undefined for an unknown ref (an error at start-up, naming the referrer); for
 * a `{uri}`, undefined means "use the URI as written".
 */
export type DestinationResolver = (
  dest: { ref: KReference } | { uri: string },
  ctx: ResolveContext,
) => string | URL | undefined;

export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}

const SERVICE_KINDS = new Set(['serving.knative.dev/v1 Service', 'v1 Service']);

/**
 * A resolver for Knative (and core) Services by name, e.g. `{ 'kscape-scan': 'http://127.0.0.1:41234/' }`.
 * Keys may be `name` (any namespace) or `namespace/name` (checked first).
 */
export function serviceResolver(services: Readonly<Record<string, string | URL>>): DestinationResolver {
  return (dest) => {
    if (!('ref' in dest)) return undefined;
    const r = dest.ref;
    if (!SERVICE_KINDS.has(`${r.apiVersion} ${r.kind}`)) return undefined;
    return services[`${r.namespace}/${r.name}`] ?? services[r.name];
  };
}

export function describeRef(r: KReference): string {
  return `${r.apiVersion} ${r.kind} ${r.namespace}/${r.name}`;
}

/**
 * Combine a resolved ref URL with a relative `uri` as Knative does: the URI's path is appended to
 * the ref's path (not RFC 3986 resolution, which would drop the last path segment), and the URI's
 * query and fragment are kept.
 */
export function joinRefUri(base: string, relative: string): string {
  const b = new URL(base);
  const r = new URL(relative, 'http://placeholder.invalid');
  const basePath = b.pathname.endsWith('/') ? b.pathname.slice(0, -1) : b.pathname;
  const relPath = relative.startsWith('?') || relative.startsWith('#') ? '' : r.pathname;
  b.pathname = `${basePath}${relPath.startsWith('/') || relPath === '' ? relPath : `/${relPath}`}` || '/';
  if (r.search) b.search = r.search;
  if (r.hash) b.hash = r.hash;
  return b.toString();
}

/**
 * Resolve a Destination to a URL. `internal` resolves refs that the broker itself serves (Brokers)
 * before the caller's resolver is consulted.
 */
export function resolveDestination(
  dest: Destination,
  resolver: DestinationResolver,
  ctx: ResolveContext,
  internal?: (ref: KReference) => string | undefined,
): string {
  if (dest.ref) {
    const base = internal?.(dest.ref) ?? toUrl(resolver({ ref: dest.ref }, ctx), ctx);
    if (base === undefined) {
      throw new ResolveError(
        `${ctx.referrer}: ${ctx.field} ref ${describeRef(dest.ref)} cannot be resolved to a local URL (the resolver does not know it)`,
      );
    }
    return dest.uri ? joinRefUri(base, dest.uri) : base;
  }
  const uri = dest.uri!;
  return toUrl(resolver({ uri }, ctx), ctx) ?? uri;
}

function toUrl(v: string | URL | undefined, ctx: ResolveContext): string | undefined {
  if (v === undefined) return undefined;
  const s = v.toString();
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`protocol ${u.protocol}`);
  } catch (e) {
    throw new ResolveError(
      `${ctx.referrer}: resolver returned an invalid URL for ${ctx.field}: ${s} (${(e as Error).message})`,
    );
  }
  return s;
}
