import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { userFromHeaders, unescapeExtraKey, type RequestHeaderConfig } from './frontproxy.js';
import { localInsecureAuth } from './index.js';
import { UnionAuthenticator, withAuthenticatedGroup, type RequestAuthenticator } from './union.js';

const cfg: RequestHeaderConfig = {
  clientCA: [],
  allowedNames: [],
  usernameHeaders: ['X-Remote-User', 'X-Fallback-User'],
  groupHeaders: ['X-Remote-Group', 'X-More-Groups'],
  extraHeaderPrefixes: ['X-Remote-Extra-', 'X-Other-Extra-'],
  uidHeaders: ['X-Remote-Uid'],
};

const req = (headersDistinct: Record<string, string[]>) => ({ headersDistinct }) as unknown as IncomingMessage;

describe('front-proxy header mapping (kube headerrequest semantics)', () => {
  it('user: first non-empty header in configured order', () => {
    expect(userFromHeaders(req({ 'x-fallback-user': ['b'] }), cfg)?.name).toBe('b');
    expect(userFromHeaders(req({ 'x-remote-user': ['a', 'z'], 'x-fallback-user': ['b'] }), cfg)?.name).toBe('a');
    expect(userFromHeaders(req({ 'x-remote-user': [''] }), cfg)).toBeUndefined();
  });

  it('groups: all non-blank values of all group headers, never split on commas', () => {
    const u = userFromHeaders(req({ 'x-remote-user': ['u'], 'x-remote-group': ['a', ' ', 'b,c'], 'x-more-groups': ['d'] }), cfg);
    expect(u?.groups).toEqual(['a', 'b,c', 'd']);
  });

  it('extras: lowercased, percent-decoded keys from every prefix; malformed escapes kept raw', () => {
    const u = userFromHeaders(
      req({
        'x-remote-user': ['u'],
        'x-remote-extra-acme.com%2fteam': ['x', 'y'],
        'x-other-extra-scopes': ['s'],
        'x-remote-extra-bad%zz': ['v'],
      }),
      cfg,
    );
    expect(u?.extra).toEqual({ 'acme.com/team': ['x', 'y'], scopes: ['s'], 'bad%zz': ['v'] });
    expect(unescapeExtraKey('a%20b')).toBe('a b');
    expect(unescapeExtraKey('a+b')).toBe('a+b');
  });

  it('uid only from configured uid headers', () => {
    expect(userFromHeaders(req({ 'x-remote-user': ['u'], 'x-remote-uid': ['42'] }), cfg)?.uid).toBe('42');
    expect(userFromHeaders(req({ 'x-remote-user': ['u'], 'x-remote-uid': ['42'] }), { ...cfg, uidHeaders: [] })?.uid).toBeUndefined();
  });
});

describe('UnionAuthenticator', () => {
  const fakeReq = { url: '/', socket: {} } as unknown as IncomingMessage;
  const m = (method: string, r: Awaited<ReturnType<RequestAuthenticator['attempt']>> | Error): RequestAuthenticator => ({
    method,
    attempt: async () => {
      if (r instanceof Error) throw r;
      return r;
    },
  });

  it('first success wins; a throwing method fails closed for itself only', async () => {
    const u = new UnionAuthenticator([
      m('a', new Error('bug')),
      m('b', { status: 'failed', reason: 'nope' }),
      m('c', { status: 'authenticated', user: { name: 'c', groups: [], extra: {} } }),
      m('d', { status: 'authenticated', user: { name: 'd', groups: [], extra: {} } }),
    ]);
    expect(await u.authenticate(fakeReq)).toEqual({ ok: true, user: { name: 'c', groups: ['system:authenticated'], extra: {} } });
  });

  it('nothing applicable or all failing → 401', async () => {
    expect(await new UnionAuthenticator([m('a', { status: 'not-applicable' })]).authenticate(fakeReq)).toEqual({
      ok: false,
      status: 401,
      message: 'Unauthorized',
    });
    expect((await new UnionAuthenticator([m('a', new Error('x'))]).authenticate(fakeReq)).ok).toBe(false);
  });

  it('system:authenticated is added once and never to system:anonymous', () => {
    expect(withAuthenticatedGroup({ name: 'x', groups: ['system:authenticated'], extra: {} }).groups).toEqual(['system:authenticated']);
    expect(withAuthenticatedGroup({ name: 'system:anonymous', groups: [], extra: {} }).groups).toEqual([]);
  });
});

describe('localInsecureAuth', () => {
  it('authenticates everyone as the local dev user and allows everything', async () => {
    const a = localInsecureAuth();
    const r = await a.authenticator.authenticate(req({}));
    expect(r).toMatchObject({ ok: true, user: { name: 'kscape:local-dev' } });
    expect(await a.authorizer.authorize({ name: 'x', groups: [], extra: {} }, { verb: 'delete', apiGroup: '', apiVersion: 'v1', resource: 'x', resourceRequest: true })).toEqual({ allowed: true });
  });
});
