/**
 * SubjectAccessReview authorization and TokenReview details against a real HTTPS fake
 * kube-apiserver, with an injected clock for cache expiry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeApiServer, type SarSpec, startFakeApiServer } from './__fixtures__/fake-kube-apiserver.js';
import { kubeApiFromKubeConfig } from './kubeclient.js';
import { AlwaysAllowAuthorizer, SubjectAccessReviewAuthorizer, forbiddenMessage, subjectAccessReviewSpec } from './sar.js';
import { TokenReviewAuthenticator } from './tokenreview.js';
import type { RequestAttributes, UserInfo } from './types.js';

let fake: FakeApiServer;
let now = 1_700_000_000_000;
const clock = () => now;

const alice: UserInfo = {
  name: 'alice',
  uid: 'alice-uid',
  groups: ['developers', 'system:authenticated'],
  extra: { scopes: ['b', 'a'], 'authentication.kubernetes.io/node-name': ['n1'] },
};

const listSboms: RequestAttributes = {
  verb: 'list',
  apiGroup: 'spdx.softwarecomposition.kubescape.io',
  apiVersion: 'v1beta1',
  resource: 'sbomsyfts',
  namespace: 'default',
  resourceRequest: true,
};

const getManifest: RequestAttributes = {
  verb: 'get',
  apiGroup: 'spdx.softwarecomposition.kubescape.io',
  apiVersion: 'v1beta1',
  resource: 'vulnerabilitymanifests',
  namespace: 'kubescape',
  name: 'nginx-1.25',
  resourceRequest: true,
};

// RBAC stand-in: alice may list SBOMs and get manifests in `kubescape`; everyone may GET /apis.
function policy(spec: SarSpec): { allowed: boolean; reason?: string } {
  const ra = spec.resourceAttributes;
  if (spec.nonResourceAttributes) return { allowed: spec.nonResourceAttributes.path === '/apis' && spec.nonResourceAttributes.verb === 'get' };
  if (spec.user === 'alice' && ra?.resource === 'sbomsyfts' && ra.verb === 'list') return { allowed: true, reason: 'RBAC: allowed by RoleBinding "sbom-readers/default"' };
  if (spec.user === 'alice' && ra?.resource === 'vulnerabilitymanifests' && ra.namespace === 'kubescape') return { allowed: true };
  return { allowed: false, reason: '' };
}

beforeAll(async () => {
  fake = await startFakeApiServer();
  fake.policy = policy;
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  fake.failSar = false;
});

function newAuthorizer(opts: { allowTtlMs?: number; denyTtlMs?: number; maxEntries?: number } = {}) {
  return new SubjectAccessReviewAuthorizer({ api: kubeApiFromKubeConfig(fake.kubeConfig(), { timeoutMs: 5_000 }), clock, ...opts });
}

describe('SubjectAccessReview authorizer', () => {
  it('allowed → allowed, and sends the full resource attributes and user', async () => {
    const authz = newAuthorizer();
    const before = fake.counts.sars;
    expect(await authz.authorize(alice, listSboms)).toEqual({ allowed: true });
    expect(fake.counts.sars).toBe(before + 1);
    expect(fake.sarSpecs.at(-1)).toEqual({
      user: 'alice',
      uid: 'alice-uid',
      groups: ['developers', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/node-name': ['n1'], scopes: ['b', 'a'] },
      resourceAttributes: {
        namespace: 'default',
        verb: 'list',
        group: 'spdx.softwarecomposition.kubescape.io',
        version: 'v1beta1',
        resource: 'sbomsyfts',
      },
    });
  });

  it('denied → a 403-equivalent result with the reason', async () => {
    const authz = newAuthorizer();
    const r = await authz.authorize(alice, { ...getManifest, namespace: 'default' });
    expect(r).toEqual({ allowed: false, reason: '' });
    expect(forbiddenMessage(alice, { ...getManifest, namespace: 'default' })).toBe(
      'User "alice" cannot get resource "vulnerabilitymanifests" in API group "spdx.softwarecomposition.kubescape.io" in the namespace "default"',
    );
  });

  it('caches allowed and denied decisions, per full attribute tuple, until the TTL', async () => {
    const authz = newAuthorizer({ allowTtlMs: 10_000, denyTtlMs: 5_000 });
    const before = fake.counts.sars;
    const denied = { ...getManifest, namespace: 'default' };
    for (let i = 0; i < 3; i++) {
      expect((await authz.authorize(alice, getManifest)).allowed).toBe(true);
      expect((await authz.authorize(alice, denied)).allowed).toBe(false);
    }
    expect(fake.counts.sars).toBe(before + 2);
    expect(authz.cacheStats()).toMatchObject({ hits: 4, misses: 2, size: 2 });

    // Any attribute difference is a different question.
    await authz.authorize(alice, { ...getManifest, name: 'other' });
    await authz.authorize(alice, { ...getManifest, subresource: 'status' });
    await authz.authorize({ ...alice, groups: ['developers'] }, getManifest);
    await authz.authorize({ ...alice, name: 'bob' }, getManifest);
    expect(fake.counts.sars).toBe(before + 6);

    now += 5_001; // deny expired, allow not yet
    await authz.authorize(alice, getManifest);
    await authz.authorize(alice, denied);
    expect(fake.counts.sars).toBe(before + 7);
    now += 5_000; // allow expired too
    await authz.authorize(alice, getManifest);
    expect(fake.counts.sars).toBe(before + 8);
  });

  it('concurrent identical questions share one review', async () => {
    const authz = newAuthorizer();
    const before = fake.counts.sars;
    const rs = await Promise.all(Array.from({ length: 8 }, () => authz.authorize(alice, listSboms)));
    expect(rs.every((r) => r.allowed)).toBe(true);
    expect(fake.counts.sars).toBe(before + 1);
  });

  it('the cache is bounded (LRU)', async () => {
    const authz = newAuthorizer({ maxEntries: 2 });
    const before = fake.counts.sars;
    await authz.authorize(alice, { ...getManifest, name: 'a' });
    await authz.authorize(alice, { ...getManifest, name: 'b' });
    await authz.authorize(alice, { ...getManifest, name: 'c' }); // evicts a
    await authz.authorize(alice, { ...getManifest, name: 'c' });
    await authz.authorize(alice, { ...getManifest, name: 'a' }); // miss again
    expect(fake.counts.sars).toBe(before + 4);
    expect(authz.cacheStats().size).toBe(2);
  });

  it('non-resource requests send nonResourceAttributes', async () => {
    const authz = newAuthorizer();
    const r = await authz.authorize(alice, { verb: 'get', apiGroup: '', apiVersion: '', resource: '', path: '/apis', resourceRequest: false });
    expect(r.allowed).toBe(true);
    expect(fake.sarSpecs.at(-1)?.nonResourceAttributes).toEqual({ path: '/apis', verb: 'get' });
    expect(fake.sarSpecs.at(-1)?.resourceAttributes).toBeUndefined();
    const denied = await authz.authorize(alice, { verb: 'get', apiGroup: '', apiVersion: '', resource: '', path: '/metrics', resourceRequest: false });
    expect(denied.allowed).toBe(false);
  });

  it('an apiserver failure denies (fail closed), is marked unavailable, and is not cached', async () => {
    const authz = newAuthorizer();
    fake.failSar = true;
    const before = fake.counts.sars;
    const r = await authz.authorize(alice, listSboms);
    expect(r).toMatchObject({ allowed: false, unavailable: true });
    fake.failSar = false;
    expect(await authz.authorize(alice, listSboms)).toEqual({ allowed: true });
    expect(fake.counts.sars).toBe(before + 2);
  });

  it('a hung apiserver turns into a denial at the deadline instead of a hung request', async () => {
    const authz = new SubjectAccessReviewAuthorizer({ api: kubeApiFromKubeConfig(fake.kubeConfig(), { timeoutMs: 300 }) });
    fake.hang = true;
    try {
      const r = await authz.authorize(alice, listSboms);
      expect(r).toMatchObject({ allowed: false, unavailable: true, reason: /timed out/ });
    } finally {
      fake.hang = false;
    }
  });

  it('a kubeconfig with the wrong credentials cannot authorize anyone', async () => {
    const authz = new SubjectAccessReviewAuthorizer({ api: kubeApiFromKubeConfig(fake.kubeConfig('not-our-token'), { timeoutMs: 5_000 }) });
    const r = await authz.authorize(alice, listSboms);
    expect(r).toMatchObject({ allowed: false, unavailable: true });
  });

  it('the spec is deterministic regardless of extra key order (cache key)', () => {
    const a = subjectAccessReviewSpec({ ...alice, extra: { x: ['1'], y: ['2'] } }, listSboms);
    const b = subjectAccessReviewSpec({ ...alice, extra: { y: ['2'], x: ['1'] } }, listSboms);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('always-allow allows everything', async () => {
    expect(await new AlwaysAllowAuthorizer().authorize()).toEqual({ allowed: true });
  });
});

describe('TokenReview authenticator details', () => {
  it('requests the configured audiences and refuses answers that do not grant one of them', async () => {
    fake.tokens.set('aud-token', { username: 'dave' });
    const api = kubeApiFromKubeConfig(fake.kubeConfig(), { timeoutMs: 5_000 });
    const tr = new TokenReviewAuthenticator({ api, audiences: ['kscape-storage'], clock });

    fake.tokenAudiences = ['https://kubernetes.default.svc'];
    expect(await tr.review('aud-token')).toMatchObject({ authenticated: false });
    expect(fake.lastTokenReview?.spec.audiences).toEqual(['kscape-storage']);

    fake.tokenAudiences = ['kscape-storage'];
    now += 2_001; // past the negative TTL
    expect(await tr.review('aud-token')).toMatchObject({ authenticated: true, user: { name: 'dave' } });
    fake.tokenAudiences = undefined;
  });

  it('never keeps raw tokens as cache keys', async () => {
    const api = kubeApiFromKubeConfig(fake.kubeConfig(), { timeoutMs: 5_000 });
    fake.tokens.set('secret-token-value', { username: 'erin' });
    const tr = new TokenReviewAuthenticator({ api, clock });
    await tr.review('secret-token-value');
    const keys = [...(tr as unknown as { cache: { entries: Map<string, unknown> } }).cache.entries.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('secret-token-value');
  });
});
