/**
 * Front-proxy ("requestheader") authentication and plain client-certificate authentication.
 *
 * Behind the kube-aggregator every request arrives over TLS from kube-apiserver, which presents
 * its proxy client certificate (CN `front-proxy-client`, signed by the requestheader CA) and
 * states the real user in X-Remote-User / X-Remote-Group / X-Remote-Extra-* headers. Those headers
 * are believed ONLY when the peer certificate chains to the requestheader CA, is valid now,
 * allows client authentication, and its CN is an allowed name (empty list = any CN that CA
 * signed). Any other client can send the same headers, so in every other case they are ignored.
 * Mirrors k8s.io/apiserver pkg/authentication/request/headerrequest and x509.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthnAttempt, RequestAuthenticator } from './union.js';
import { tlsSocketOf } from './union.js';
import type { UserInfo } from './types.js';
import { EKU_CLIENT_AUTH, type ParsedCert, singleCommonName, verifyPeer } from './x509verify.js';

export interface RequestHeaderConfig {
  /** The requestheader client CA bundle (`requestheader-client-ca-file`). */
  readonly clientCA: readonly ParsedCert[];
  /** Allowed proxy certificate CNs; empty = any CN signed by `clientCA`. */
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
  /** Kubernetes >= 1.32 (`requestheader-uid-headers`); empty by default as in kube. */
  readonly uidHeaders: readonly string[];
}

export const DEFAULT_USERNAME_HEADERS = ['X-Remote-User'] as const;
export const DEFAULT_GROUP_HEADERS = ['X-Remote-Group'] as const;
export const DEFAULT_EXTRA_HEADER_PREFIXES = ['X-Remote-Extra-'] as const;

/** Injectable clock: tests pin "now" instead of sleeping past expiry. */
export type Clock = () => number;

type Headers = NodeJS.Dict<string[]>;

function distinctHeaders(req: IncomingMessage): Headers {
  // headersDistinct keeps repeated headers apart. `req.headers` would join X-Remote-Group lines
  // with ", ", turning groups "a" and "b" into one group "a, b" (kube never splits on commas).
  return req.headersDistinct;
}

/** First non-empty value of the first header (in configured order) that has one (kube headerValue). */
function firstValue(h: Headers, names: readonly string[]): string | undefined {
  for (const n of names) {
    const key = n.trim().toLowerCase();
    if (!key) continue;
    const v = h[key]?.[0];
    if (v) return v;
  }
  return undefined;
}

/** Every non-blank value of every listed header, in order (kube allHeaderValues). */
function allValues(h: Headers, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const key = n.trim().toLowerCase();
    if (!key) continue;
    for (const v of h[key] ?? []) if (v.trim()) out.push(v);
  }
  return out;
}

/**
 * Extra keys travel as `<prefix><percent-escaped key>`; kube lowercases the header name and then
 * path-unescapes it (so `X-Remote-Extra-Example.com%2fProject` → `example.com/project`). A malformed
 * escape keeps the raw (lowercased) key, as Go's url.PathUnescape error path does.
 */
export function unescapeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function extras(h: Headers, prefixes: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of prefixes) {
    const prefix = p.trim().toLowerCase();
    if (!prefix) continue;
    for (const [name, values] of Object.entries(h)) {
      // Node lowercases header names already.
      if (!name.startsWith(prefix) || !values) continue;
      const key = unescapeExtraKey(name.slice(prefix.length));
      (out[key] ??= []).push(...values);
    }
  }
  return out;
}

/** The user a verified front proxy asserts, or undefined when it asserts none. */
export function userFromHeaders(req: IncomingMessage, cfg: RequestHeaderConfig): UserInfo | undefined {
  const h = distinctHeaders(req);
  const name = firstValue(h, cfg.usernameHeaders);
  if (!name) return undefined;
  const uid = firstValue(h, cfg.uidHeaders);
  return {
    name,
    ...(uid ? { uid } : {}),
    groups: allValues(h, cfg.groupHeaders),
    extra: extras(h, cfg.extraHeaderPrefixes),
  };
}

export class RequestHeaderAuthenticator implements RequestAuthenticator {
  readonly method = 'front-proxy';

  /**
   * @param config current configuration; a function because the ConfigMap loader swaps it on CA
   *   rotation. `undefined` = front-proxy authentication not configured.
   */
  constructor(
    private readonly config: () => RequestHeaderConfig | undefined,
    private readonly clock: Clock = Date.now,
  ) {}

  async attempt(req: IncomingMessage): Promise<AuthnAttempt> {
    const cfg = this.config();
    if (!cfg || cfg.clientCA.length === 0) return { status: 'not-applicable' };
    const socket = tlsSocketOf(req);
    const verified = socket ? verifyPeer(socket, cfg.clientCA, new Date(this.clock()), EKU_CLIENT_AUTH) : undefined;
    if (!verified) return { status: 'not-applicable' };
    if (!verified.ok) return { status: 'failed', reason: `proxy certificate: ${verified.reason}` };

    const cn = singleCommonName(verified.leaf);
    if (cfg.allowedNames.length > 0 && (cn === undefined || !cfg.allowedNames.includes(cn))) {
      return {
        status: 'failed',
        reason: `proxy certificate subject CN=${JSON.stringify(verified.leaf.commonNames.join(','))} is not in the allowed names`,
      };
    }

    // A trusted proxy that names no user did not authenticate anybody; other methods may still
    // apply (kube returns "not authenticated, no error" here).
    const user = userFromHeaders(req, cfg);
    return user ? { status: 'authenticated', user } : { status: 'not-applicable' };
  }
}

/**
 * `--client-ca-file` authentication: a certificate chaining to the client CA authenticates as
 * user = CN, groups = O (Kubernetes CommonNameUserConversion). X-Remote-* headers play no part.
 */
export class ClientCertAuthenticator implements RequestAuthenticator {
  readonly method = 'client-certificate';

  constructor(
    private readonly clientCA: () => readonly ParsedCert[] | undefined,
    private readonly clock: Clock = Date.now,
  ) {}

  async attempt(req: IncomingMessage): Promise<AuthnAttempt> {
    const roots = this.clientCA();
    if (!roots || roots.length === 0) return { status: 'not-applicable' };
    const socket = tlsSocketOf(req);
    const verified = socket ? verifyPeer(socket, roots, new Date(this.clock()), EKU_CLIENT_AUTH) : undefined;
    if (!verified) return { status: 'not-applicable' };
    if (!verified.ok) return { status: 'failed', reason: verified.reason };
    const cn = singleCommonName(verified.leaf);
    if (!cn) return { status: 'failed', reason: 'client certificate must have exactly one non-empty common name' };
    return { status: 'authenticated', user: { name: cn, groups: [...verified.leaf.organizations], extra: {} } };
  }
}
