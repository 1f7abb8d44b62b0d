/**
 * OCI distribution client (pull side only): manifests with index/platform selection, blobs as
 * verified streams, anonymous/basic/bearer auth driven by the WWW-Authenticate challenge, retries
 * with backoff and Retry-After, redirects to blob storage without leaking Authorization across
 * hosts, and plain HTTP only for registries explicitly configured as insecure.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  AbortedError,
  ImageTooLargeError,
  NotFoundError,
  RegistryError,
  TooManyRequestsError,
  UnauthorizedError,
} from '../errors.js';
import { matchCredential, type RegistryCredential } from './credentials.js';
import {
  DEFAULT_PLATFORM,
  MANIFEST_ACCEPT,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  VerifyingStream,
  parseConfig,
  parseManifest,
  selectPlatform,
  sha256,
  verifyBytes,
  type Descriptor,
  type Platform,
} from './manifest.js';
import { apiHost, type RegistryReference } from './reference.js';
import type { ImageSource, ResolvedImage } from './source.js';
import { abortableSleep } from '../../../lib/async/sleep.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RegistryOptions {
  platform?: Platform;
  credentials?: readonly RegistryCredential[];
  /** Hosts (host[:port]) reached over plain HTTP. Nothing else ever is. */
  insecureRegistries?: readonly string[];
  /** Attempts per request for retryable failures (network, 5xx, 429). */
  maxAttempts?: number;
  /** Base backoff; doubles per attempt with jitter. */
  backoffMs?: number;
  /** Longest Retry-After we are willing to sleep; longer → TooManyRequestsError at once. */
  maxRetryAfterMs?: number;
  maxRedirects?: number;
  /** Injected for tests (counting registries) and proxies. */
  fetch?: FetchLike;
  userAgent?: string;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="…",service="…",scope="…"` (quoted strings may contain commas). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!)) !== null) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => abortableSleep(ms, signal, () => new AbortedError('aborted'));

async function readCapped(res: Response, max: number, what: string): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(len) && len > max) {
    await res.body?.cancel();
    throw new ImageTooLargeError(len, max, what);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > max) {
      await res.body.cancel().catch(() => undefined);
      throw new ImageTooLargeError(n, max, what);
    }
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

export class RegistryClient implements ImageSource {
  private readonly opts: Required<Omit<RegistryOptions, 'credentials' | 'insecureRegistries' | 'platform' | 'fetch'>>;
  private readonly fetchFn: FetchLike;
  private readonly host: string;
  private readonly base: string;
  private readonly credential: RegistryCredential | undefined;
  private authHeader: string | undefined;
  /** Stats, for tests and metrics: requests sent (including retries, auth and redirects). */
  readonly stats = { requests: 0, retries: 0, bytes: 0 };

  constructor(
    readonly ref: RegistryReference,
    private readonly options: RegistryOptions = {},
  ) {
    this.opts = {
      maxAttempts: options.maxAttempts ?? 4,
      backoffMs: options.backoffMs ?? 500,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      maxRedirects: options.maxRedirects ?? 5,
      userAgent: options.userAgent ?? 'kscape-vuln',
    };
    this.fetchFn = options.fetch ?? ((u, i) => fetch(u, i));
    this.host = apiHost(ref.registry);
    const insecure = (options.insecureRegistries ?? []).some((h) => h.toLowerCase() === ref.registry || h.toLowerCase() === this.host);
    this.base = `${insecure ? 'http' : 'https'}://${this.host}/v2/${ref.repository}`;
    this.credential = matchCredential(options.credentials ?? [], ref.registry, ref.repository);
    if (this.credential?.registryToken) this.authHeader = `Bearer ${this.credential.registryToken}`;
  }

  /**
   * One logical GET: redirects followed by hand (Authorization only to the registry host), one
   * auth round on 401, retries with backoff on network errors, 5xx and 429.
   */
  private async get(url: string, accept: string | undefined, signal: AbortSignal | undefined, what: string): Promise<Response> {
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError(`${what}: aborted`);
      let res: Response;
      try {
        res = await this.followRedirects(url, accept, signal, what);
      } catch (e) {
        if (e instanceof AbortedError || signal?.aborted || e instanceof RegistryError) throw e instanceof RegistryError || e instanceof AbortedError ? e : new AbortedError(`${what}: aborted`);
        if (attempt >= this.opts.maxAttempts) throw new RegistryError(`${what}: ${(e as Error).message}`);
        this.stats.retries++;
        await sleep(this.backoff(attempt), signal);
        continue;
      }
      if (res.status === 401) {
        const challenge = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (authTried || !challenge) throw new UnauthorizedError(`${what}: registry ${this.ref.registry} refused ${this.credential ? 'the credentials' : 'anonymous access'} (401)`);
        authTried = true;
        await this.authenticate(challenge, signal);
        attempt--; // the auth round is not a retry
        continue;
      }
      if (res.status === 403) {
        await res.body?.cancel();
        throw new UnauthorizedError(`${what}: access denied by ${this.ref.registry} (403)`);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new NotFoundError(`${what}: not found in ${this.ref.registry}/${this.ref.repository}`);
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        const ra = retryAfterMs(res.headers.get('retry-after'));
        if (attempt >= this.opts.maxAttempts || (ra !== undefined && ra > this.opts.maxRetryAfterMs)) {
          if (res.status === 429) throw new TooManyRequestsError(`${what}: rate limited by ${this.ref.registry}`, ra);
          throw new RegistryError(`${what}: HTTP ${res.status} from ${this.ref.registry}`, res.status);
        }
        this.stats.retries++;
        await sleep(ra ?? this.backoff(attempt), signal);
        continue;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new RegistryError(`${what}: unexpected HTTP ${res.status} from ${this.ref.registry}`, res.status);
      }
      return res;
    }
  }

  private backoff(attempt: number): number {
    const b = this.opts.backoffMs * 2 ** (attempt - 1);
    return Math.min(30_000, b / 2 + Math.random() * b);
  }

  private async followRedirects(url: string, accept: string | undefined, signal: AbortSignal | undefined, what: string): Promise<Response> {
    let current = new URL(url);
    const origin = new URL(this.base);
    for (let hop = 0; hop <= this.opts.maxRedirects; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent };
      if (accept) headers.accept = accept;
      // Credentials are for the registry only: blob storage (S3, GCS, CDN) gets a presigned URL
      // and must never see our token.
      if (this.authHeader && current.host === origin.host) headers.authorization = this.authHeader;
      this.stats.requests++;
      const res = await this.fetchFn(current.toString(), { headers, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const loc = res.headers.get('location');
        await res.body?.cancel();
        if (!loc) throw new RegistryError(`${what}: redirect without Location`);
        const next = new URL(loc, current);
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && current.protocol === 'http:'))
          throw new RegistryError(`${what}: refusing redirect to ${next.protocol} URL`);
        current = next;
        continue;
      }
      return res;
    }
    throw new RegistryError(`${what}: too many redirects`);
  }

  private async authenticate(header: string, signal?: AbortSignal): Promise<void> {
    const ch = parseChallenge(header);
    const c = this.credential;
    const basic = c?.username !== undefined && c.password !== undefined ? Buffer.from(`${c.username}:${c.password}`).toString('base64') : undefined;
    if (ch?.scheme === 'basic') {
      if (!basic) throw new UnauthorizedError(`registry ${this.ref.registry} requires credentials (basic auth) and none match`);
      this.authHeader = `Basic ${basic}`;
      return;
    }
    if (ch?.scheme !== 'bearer' || !ch.params.realm) throw new UnauthorizedError(`registry ${this.ref.registry}: unsupported auth challenge`);
    const realm = new URL(ch.params.realm);
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.base.startsWith('http:')))
      throw new UnauthorizedError(`registry ${this.ref.registry}: token realm must be https`);
    const scope = ch.params.scope ?? `repository:${this.ref.repository}:pull`;
    let res: Response;
    this.stats.requests++;
    if (c?.identityToken) {
      // OAuth2 refresh-token grant (docker identitytoken).
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, service: ch.params.service ?? '', scope, client_id: 'kscape' });
      res = await this.fetchFn(realm.toString(), { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal });
    } else {
      if (ch.params.service) realm.searchParams.set('service', ch.params.service);
      realm.searchParams.set('scope', scope);
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent };
      if (basic) headers.authorization = `Basic ${basic}`;
      res = await this.fetchFn(realm.toString(), { headers, signal, redirect: 'follow' });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new UnauthorizedError(`registry ${this.ref.registry}: token service refused the credentials (${res.status})`);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new RegistryError(`registry ${this.ref.registry}: token service returned HTTP ${res.status}`, res.status);
    }
    const body = await readCapped(res, 1024 * 1024, 'token response');
    let token: unknown;
    try {
      const j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      token = j.token ?? j.access_token;
    } catch {
      throw new RegistryError(`registry ${this.ref.registry}: token response is not JSON`);
    }
    if (typeof token !== 'string' || !token) throw new RegistryError(`registry ${this.ref.registry}: token response without token`);
    this.authHeader = `Bearer ${token}`;
  }

  async fetchManifest(reference: string, signal?: AbortSignal): Promise<{ bytes: Buffer; digest: string; contentType?: string }> {
    const what = `manifest ${this.ref.registry}/${this.ref.repository}@${reference}`;
    const res = await this.get(`${this.base}/manifests/${reference}`, MANIFEST_ACCEPT, signal, what);
    const bytes = await readCapped(res, MAX_MANIFEST_BYTES, what);
    this.stats.bytes += bytes.length;
    // By digest: the bytes must hash to it. By tag: trust the bytes, name them by their hash, and
    // check the registry's Docker-Content-Digest header agrees when it sends one.
    const digest = sha256(bytes);
    if (reference.includes(':')) verifyBytes(bytes, reference, what);
    else {
      const header = res.headers.get('docker-content-digest');
      if (header && header.startsWith('sha256:')) verifyBytes(bytes, header, what);
    }
    return { bytes, digest, contentType: res.headers.get('content-type') ?? undefined };
  }

  async resolve(signal?: AbortSignal): Promise<ResolvedImage> {
    const platform = this.options.platform ?? DEFAULT_PLATFORM;
    const top = await this.fetchManifest(this.ref.digest ?? this.ref.tag ?? 'latest', signal);
    let parsed = parseManifest(top.bytes, top.contentType, `manifest of ${this.ref.canonical}`);
    let manifestDigest = top.digest;
    let resolvedPlatform = platform;
    if (parsed.kind === 'index') {
      const chosen = selectPlatform(parsed.manifests, platform, `index of ${this.ref.canonical}`);
      const m = await this.fetchManifest(chosen.digest, signal);
      parsed = parseManifest(m.bytes, m.contentType ?? chosen.mediaType, `manifest ${chosen.digest}`);
      if (parsed.kind !== 'image') throw new NotFoundError(`nested index at ${chosen.digest} is not supported`);
      manifestDigest = m.digest;
      resolvedPlatform = chosen.platform ?? platform;
    }
    const manifest = parsed.manifest;
    const cfgDesc = manifest.config;
    if (cfgDesc.size > MAX_CONFIG_BYTES) throw new ImageTooLargeError(cfgDesc.size, MAX_CONFIG_BYTES, 'image config');
    const what = `config ${cfgDesc.digest}`;
    const res = await this.get(`${this.base}/blobs/${cfgDesc.digest}`, undefined, signal, what);
    const cfgBytes = await readCapped(res, MAX_CONFIG_BYTES, what);
    verifyBytes(cfgBytes, cfgDesc.digest, what);
    const config = parseConfig(cfgBytes, what);
    if (config.os && config.architecture) resolvedPlatform = { os: config.os, architecture: config.architecture, variant: config.variant };
    return {
      reference: this.ref.canonical,
      digest: this.ref.digest ?? top.digest,
      manifestDigest,
      manifest,
      config,
      configDigest: cfgDesc.digest,
      platform: resolvedPlatform,
    };
  }

  async openBlob(desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const what = `blob ${desc.digest}`;
    const res = await this.get(`${this.base}/blobs/${desc.digest}`, undefined, signal, what);
    if (!res.body) throw new RegistryError(`${what}: empty body`);
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => (this.stats.bytes += c.length));
    const v = new VerifyingStream(desc.digest, desc.size, what);
    body.on('error', (e) => v.destroy(e));
    return body.pipe(v);
  }

  async close(): Promise<void> {}
}
