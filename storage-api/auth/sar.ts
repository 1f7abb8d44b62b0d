/**
 * Authorization delegated to kube-apiserver through SubjectAccessReview
 * (authorization.k8s.io/v1), so the cluster's RBAC (or whatever authorizer chain it runs) decides
 * who may read scan results, exactly as for built-in resources.
 *
 * Decisions are cached briefly (kube default 10 s for both allow and deny) keyed on the whole
 * review spec (user, uid, groups, extra and every attribute), so two requests share an answer only
 * when kube would have been asked the identical question. Failures to get an answer are never
 * cached and deny the request (fail closed).
 *
 * Deliberately NOT done: the `system:masters` short-circuit that k8s.io/apiserver adds in front of
 * the webhook. kube-apiserver answers allowed for system:masters anyway; asking it keeps one
 * place of truth. Health paths never get here: the engine does not authorize them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../lib/log/index.js';
import { TtlCache, type CacheStats } from './cache.js';
import type { Clock } from './frontproxy.js';
import { describeFailure, type KubeApi } from './kubeclient.js';
import type { Authorizer, AuthzResult, RequestAttributes, UserInfo } from './types.js';

export const SUBJECT_ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export type AuthzMode = 'delegated' | 'always-allow';

export interface SubjectAccessReviewOptions {
  api: KubeApi;
  /** Allowed decisions are reused this long. Default 10 s. */
  allowTtlMs?: number;
  /** Denied decisions are reused this long. Default 10 s. */
  denyTtlMs?: number;
  /** Bound on cached decisions. Default 10 000. */
  maxEntries?: number;
  clock?: Clock;
  log?: Logger;
}

const SarResponse = z.object({
  status: z
    .object({
      allowed: z.boolean().optional(),
      denied: z.boolean().optional(),
      reason: z.string().optional(),
      evaluationError: z.string().optional(),
    })
    .optional(),
});

type Decision = { allowed: true } | { allowed: false; reason: string };

/** The `spec` of the SubjectAccessReview for this user and request (key order is fixed: it is also the cache key). */
export function subjectAccessReviewSpec(user: UserInfo, attrs: RequestAttributes): Record<string, unknown> {
  const extra: Record<string, string[]> = {};
  for (const k of Object.keys(user.extra).sort()) extra[k] = [...(user.extra[k] ?? [])];
  const who = {
    user: user.name,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: [...user.groups],
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  if (!attrs.resourceRequest) {
    return { ...who, nonResourceAttributes: { path: attrs.path ?? '/', verb: attrs.verb } };
  }
  const ra: Record<string, string> = {};
  if (attrs.namespace) ra.namespace = attrs.namespace;
  ra.verb = attrs.verb;
  ra.group = attrs.apiGroup;
  ra.version = attrs.apiVersion;
  ra.resource = attrs.resource;
  if (attrs.subresource) ra.subresource = attrs.subresource;
  if (attrs.name) ra.name = attrs.name;
  return { ...who, resourceAttributes: ra };
}

/**
 * kube-apiserver's wording for a 403 (endpoints/handlers/responsewriters forbiddenMessage), for
 * the engine's Status message: `User "bob" cannot list resource "sbomsyfts" in API group "…" in the namespace "ns"`.
 */
export function forbiddenMessage(user: UserInfo, attrs: RequestAttributes): string {
  if (!attrs.resourceRequest) return `User ${JSON.stringify(user.name)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path ?? '/')}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const head = `User ${JSON.stringify(user.name)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)}`;
  return attrs.namespace ? `${head} in the namespace ${JSON.stringify(attrs.namespace)}` : `${head} at the cluster scope`;
}

export class SubjectAccessReviewAuthorizer implements Authorizer {
  private readonly cache: TtlCache<Decision>;
  private readonly allowTtlMs: number;
  private readonly denyTtlMs: number;
  /** SubjectAccessReviews actually sent (cache misses). */
  reviews = 0;

  constructor(private readonly opts: SubjectAccessReviewOptions) {
    this.allowTtlMs = opts.allowTtlMs ?? 10_000;
    this.denyTtlMs = opts.denyTtlMs ?? 10_000;
    this.cache = new TtlCache<Decision>(opts.maxEntries ?? 10_000, opts.clock);
  }

  async authorize(user: UserInfo, attrs: RequestAttributes): Promise<AuthzResult> {
    const spec = subjectAccessReviewSpec(user, attrs);
    // Hash so a large `extra` map does not make a large key; the spec is the full question.
    const key = createHash('sha256').update(JSON.stringify(spec)).digest('base64');
    try {
      return await this.cache.getOrCompute(
        key,
        () => this.send(spec),
        (d) => (d.allowed ? this.allowTtlMs : this.denyTtlMs),
      );
    } catch (e) {
      this.opts.log?.warn({ err: e, user: user.name, verb: attrs.verb }, 'SubjectAccessReview failed');
      return { allowed: false, reason: `authorization unavailable: ${(e as Error).message}`, unavailable: true };
    }
  }

  private async send(spec: Record<string, unknown>): Promise<Decision> {
    this.reviews++;
    const res = await this.opts.api.postJson(SUBJECT_ACCESS_REVIEW_PATH, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec,
    });
    if (res.status !== 200 && res.status !== 201) throw new Error(`SubjectAccessReview rejected: ${describeFailure(res)}`);
    const parsed = SarResponse.safeParse(res.body);
    if (!parsed.success) throw new Error('SubjectAccessReview response is not a SubjectAccessReview');
    const st = parsed.data.status ?? {};
    // allowed && denied cannot both be true per the API; if a buggy answer says so, deny wins.
    if (st.allowed === true && st.denied !== true) return { allowed: true };
    return { allowed: false, reason: st.reason || st.evaluationError || '' };
  }

  cacheStats(): CacheStats {
    return this.cache.stats();
  }
}

/**
 * Everything an authenticated caller asks is allowed. Only for the aggregator-only deployment
 * where the Service is reachable solely by kube-apiserver (NetworkPolicy) and kube-apiserver has
 * already authorized the URL itself. Risk: it checks only the aggregator's verb/resource RBAC
 * (no per-object subresource nuance beyond that), and anyone who reaches the port with a valid
 * token or client certificate gets full access. See README.
 */
export class AlwaysAllowAuthorizer implements Authorizer {
  async authorize(): Promise<AuthzResult> {
    return { allowed: true };
  }
}
