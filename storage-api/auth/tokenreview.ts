/**
 * Bearer-token authentication delegated to kube-apiserver through TokenReview
 * (authentication.k8s.io/v1), as k8s.io/apiserver's delegating authenticator does for clients
 * that talk to us directly (not through the aggregator): service accounts, `kubectl --server`.
 *
 * Answers are cached: authenticated for `ttlMs` (kube default 10 s), rejected for the shorter
 * `negativeTtlMs` so a token that just became valid is not locked out long; transport errors are
 * not cached at all. The cache key is an HMAC-SHA-256 of the token under a per-process random
 * key: raw tokens never sit in memory longer than the request, and a heap dump does not give an
 * offline dictionary either (same idea as kube's tokencache).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../lib/log/index.js';
import { TtlCache, type CacheStats } from './cache.js';
import type { Clock } from './frontproxy.js';
import { describeFailure, type KubeApi } from './kubeclient.js';
import type { UserInfo } from './types.js';
import type { AuthnAttempt, RequestAuthenticator } from './union.js';

export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

export interface TokenReviewOptions {
  api: KubeApi;
  /** Audiences to request; empty = the apiserver's own audiences (kube default). */
  audiences?: readonly string[];
  /** Positive answers are reused this long. Default 10 s. */
  ttlMs?: number;
  /** Negative answers are reused this long. Default 2 s. */
  negativeTtlMs?: number;
  /** Bound on cached tokens. Default 10 000. */
  maxEntries?: number;
  clock?: Clock;
  log?: Logger;
}

const TokenReviewResponse = z.object({
  status: z
    .object({
      authenticated: z.boolean().optional(),
      error: z.string().optional(),
      audiences: z.array(z.string()).nullish(),
      user: z
        .object({
          username: z.string().optional(),
          uid: z.string().optional(),
          groups: z.array(z.string()).nullish(),
          extra: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
        })
        .optional(),
    })
    .optional(),
});

type Verdict = { authenticated: true; user: UserInfo } | { authenticated: false; reason: string };

/**
 * The token of an `Authorization: Bearer <token>` header, `undefined` when there is no bearer
 * header at all, `''` when the header is a malformed bearer header (kube: "invalid bearer token").
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = (req.headers.authorization ?? '').trim();
  if (!auth) return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  // Like kube: exactly "Bearer <token>"; a double space yields an empty token, which is invalid.
  return parts[1] ?? '';
}

export class TokenReviewAuthenticator implements RequestAuthenticator {
  readonly method = 'token';
  private readonly cache: TtlCache<Verdict>;
  private readonly hmacKey = randomBytes(32);
  private readonly audiences: readonly string[];
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  /** TokenReviews actually sent (cache misses that reached the apiserver). */
  reviews = 0;

  constructor(private readonly opts: TokenReviewOptions) {
    this.audiences = opts.audiences ?? [];
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 2_000;
    this.cache = new TtlCache<Verdict>(opts.maxEntries ?? 10_000, opts.clock);
  }

  async attempt(req: IncomingMessage): Promise<AuthnAttempt> {
    const token = bearerToken(req);
    if (token === undefined) return { status: 'not-applicable' };
    if (token === '') return { status: 'failed', reason: 'invalid bearer token' };
    const verdict = await this.review(token);
    return verdict.authenticated
      ? { status: 'authenticated', user: verdict.user }
      : { status: 'failed', reason: verdict.reason };
  }

  /** Authenticate a raw token (cached). Rejects only on transport or protocol errors. */
  async review(token: string): Promise<Verdict> {
    const key = createHmac('sha256', this.hmacKey)
      .update(this.audiences.join('\n'))
      .update('\0')
      .update(token)
      .digest('base64');
    try {
      return await this.cache.getOrCompute(
        key,
        () => this.send(token),
        (v) => (v.authenticated ? this.ttlMs : this.negativeTtlMs),
      );
    } catch (e) {
      // Errors are not cached (the promise rejected before `set`): the next request retries.
      this.opts.log?.warn({ err: e }, 'TokenReview failed');
      return { authenticated: false, reason: `token review unavailable: ${(e as Error).message}` };
    }
  }

  private async send(token: string): Promise<Verdict> {
    this.reviews++;
    const res = await this.opts.api.postJson(TOKEN_REVIEW_PATH, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(this.audiences.length ? { audiences: [...this.audiences] } : {}) },
    });
    if (res.status !== 200 && res.status !== 201) throw new Error(`TokenReview rejected: ${describeFailure(res)}`);
    const parsed = TokenReviewResponse.safeParse(res.body);
    if (!parsed.success) throw new Error('TokenReview response is not a TokenReview');
    const st = parsed.data.status ?? {};
    if (!st.authenticated) return { authenticated: false, reason: st.error || 'token not authenticated' };
    const u = st.user ?? {};
    if (!u.username) return { authenticated: false, reason: 'TokenReview authenticated a user without a name' };
    if (this.audiences.length) {
      // kube's webhook authenticator: the token must be valid for at least one audience we asked
      // for; an answer without audiences does not prove that.
      const granted = st.audiences ?? [];
      if (!granted.some((a) => this.audiences.includes(a))) {
        return { authenticated: false, reason: 'token is not valid for the configured audiences' };
      }
    }
    const extra: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(u.extra ?? {})) extra[k] = [...(v ?? [])];
    return {
      authenticated: true,
      user: { name: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: [...(u.groups ?? [])], extra },
    };
  }

  cacheStats(): CacheStats {
    return this.cache.stats();
  }
}
