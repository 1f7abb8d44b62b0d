/**
 * Acceptance: a real HTTPS server authenticating with createAuth(), real certificates generated
 * here, and a real HTTPS fake kube-apiserver serving the extension-apiserver-authentication
 * ConfigMap and TokenReviews.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type KeyPairPem,
  createCA,
  createIntermediateCA,
  issueCert,
  issueClientCert,
  issueServerCert,
} from '../../test/support/pki.js';
import { type FakeApiServer, startFakeApiServer } from './__fixtures__/fake-kube-apiserver.js';
import { type WhoamiServer, call, startWhoami } from './__fixtures__/whoami-server.js';
import { authOptionsFromEnv, createAuth, type StorageAuth } from './index.js';
import type { UserInfo } from './types.js';

const DAY = 86_400_000;

let dir: string;
let fake: FakeApiServer;
let auth: StorageAuth;
let whoami: WhoamiServer;
let now = Date.now();
const clock = () => now;

let servingCA: KeyPairPem;
let frontProxyCA: KeyPairPem;
let clientCA: KeyPairPem;
let evilCA: KeyPairPem;
const certs: Record<string, KeyPairPem> = {};

const remote = (user: string, groups: string[] = [], extra: Record<string, string | string[]> = {}) => ({
  'X-Remote-User': user,
  ...(groups.length ? { 'X-Remote-Group': groups } : {}),
  ...extra,
});

function asClient(c: KeyPairPem, headers: Record<string, string | string[]> = {}) {
  return call(whoami.url, { ca: servingCA.cert, cert: c.chain, key: c.key, headers });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kscape-auth-'));
  [servingCA, frontProxyCA, clientCA, evilCA] = await Promise.all([
    createCA({ commonName: 'storage-api-serving-ca' }),
    createCA({ commonName: 'front-proxy-ca' }),
    createCA({ commonName: 'kubernetes-client-ca' }),
    createCA({ commonName: 'evil-ca' }),
  ]);
  const serving = await issueServerCert(servingCA, { hosts: ['kscape-storage-api.kubescape.svc', 'localhost', '127.0.0.1'] });
  await writeFile(join(dir, 'tls.crt'), serving.chain);
  await writeFile(join(dir, 'tls.key'), serving.key);

  const intermediate = await createIntermediateCA(frontProxyCA, { commonName: 'front-proxy-intermediate' });
  Object.assign(certs, {
    proxy: await issueClientCert(frontProxyCA, { commonName: 'front-proxy-client' }),
    proxyOtherCN: await issueClientCert(frontProxyCA, { commonName: 'some-other-client' }),
    evilProxy: await issueClientCert(evilCA, { commonName: 'front-proxy-client' }),
    expiredProxy: await issueClientCert(frontProxyCA, {
      commonName: 'front-proxy-client',
      notBefore: new Date(Date.now() - 2 * DAY),
      notAfter: new Date(Date.now() - DAY),
    }),
    serverOnlyProxy: await issueCert(frontProxyCA, { commonName: 'front-proxy-client', usages: ['serverAuth'] }),
    proxyViaIntermediate: await issueClientCert(intermediate, { commonName: 'front-proxy-client' }),
    bob: await issueClientCert(clientCA, { commonName: 'bob', organizations: ['team-a', 'team-b'] }),
    clientCANamedLikeProxy: await issueClientCert(clientCA, { commonName: 'front-proxy-client' }),
  });

  fake = await startFakeApiServer();
  fake.configMap = {
    data: {
      'client-ca-file': clientCA.cert,
      'requestheader-client-ca-file': frontProxyCA.cert,
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      'requestheader-uid-headers': '["X-Remote-Uid"]',
    },
  };
  fake.tokens.set('alice-token', {
    username: 'alice',
    uid: 'alice-uid',
    groups: ['developers', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/pod-name': ['kscape-scan-1'] },
  });

  const options = authOptionsFromEnv({
    KSCAPE_STORAGE_TLS_CERT_FILE: join(dir, 'tls.crt'),
    KSCAPE_STORAGE_TLS_KEY_FILE: join(dir, 'tls.key'),
    KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH: '0',
  });
  auth = await createAuth(options, { kubeConfig: fake.kubeConfig(), clock, log: pino({ level: 'silent' }) });
  whoami = await startWhoami(auth.tls, auth.authenticator);
  auth.attachServer(whoami.server);
});

afterAll(async () => {
  auth?.close();
  await whoami?.close();
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  now = Date.now();
  fake.failTokenReviews = false;
});

describe('TLS and configuration from the ConfigMap', () => {
  it('serves the mounted certificate and lists both client CAs as acceptable issuers', () => {
    expect(auth.serving.generated).toBe(false);
    expect(auth.tls).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    expect(auth.tls.ca).toEqual([frontProxyCA.cert, clientCA.cert]);
    expect(fake.counts.configMaps).toBe(1);
  });
});

describe('front-proxy (requestheader) authentication', () => {
  it('no client certificate and no token → 401', async () => {
    const r = await call(whoami.url, { ca: servingCA.cert, headers: remote('mallory', ['system:masters']) });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ message: 'Unauthorized' });
  });

  it('a certificate from another CA → 401 even with X-Remote-User', async () => {
    const r = await asClient(certs.evilProxy!, remote('mallory', ['system:masters']));
    expect(r.status).toBe(401);
  });

  it('a requestheader-CA certificate whose CN is not an allowed name → 401 even with X-Remote-User', async () => {
    const r = await asClient(certs.proxyOtherCN!, remote('mallory', ['system:masters']));
    expect(r.status).toBe(401);
  });

  it('a valid front-proxy certificate → the user, uid, groups and extras from the headers', async () => {
    const r = await asClient(
      certs.proxy!,
      remote('jane', ['system:authenticated', 'viewers', 'a, b'], {
        'X-Remote-Uid': 'jane-uid',
        'X-Remote-Extra-Scopes': ['openid', 'groups'],
        // Percent-escaped key, and mixed case: kube lowercases then unescapes.
        'X-Remote-Extra-Example.com%2FProject': 'kscape',
      }),
    );
    expect(r.status).toBe(200);
    const user = r.body as UserInfo;
    expect(user.name).toBe('jane');
    expect(user.uid).toBe('jane-uid');
    // Repeated headers stay separate groups; a comma inside one value is not a separator.
    expect(user.groups).toEqual(['system:authenticated', 'viewers', 'a, b']);
    expect(user.extra).toEqual({ scopes: ['openid', 'groups'], 'example.com/project': ['kscape'] });
  });

  it('adds system:authenticated when the proxy did not send it', async () => {
    const r = await asClient(certs.proxy!, remote('system:kube-aggregator', ['system:masters']));
    expect(r.status).toBe(200);
    expect((r.body as UserInfo).groups).toEqual(['system:masters', 'system:authenticated']);
  });

  it('a valid front-proxy certificate that names no user → 401', async () => {
    const r = await asClient(certs.proxy!, { 'X-Remote-Group': 'system:masters' });
    expect(r.status).toBe(401);
  });

  it('an expired front-proxy certificate → 401', async () => {
    const r = await asClient(certs.expiredProxy!, remote('jane'));
    expect(r.status).toBe(401);
  });

  it('a front-proxy certificate past its notAfter by the injected clock → 401', async () => {
    expect((await asClient(certs.proxy!, remote('jane'))).status).toBe(200);
    now = Date.now() + 2 * DAY;
    expect((await asClient(certs.proxy!, remote('jane'))).status).toBe(401);
  });

  it('re-checks every request on a kept-alive connection (clock past notAfter, CA rotated away)', async () => {
    let connections = 0;
    const onConn = () => connections++;
    whoami.server.on('secureConnection', onConn);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const viaAgent = () =>
      call(whoami.url, { ca: servingCA.cert, cert: certs.proxy!.chain, key: certs.proxy!.key, headers: remote('jane'), agent });
    try {
      expect((await viaAgent()).status).toBe(200);
      expect((await viaAgent()).status).toBe(200);
      now = Date.now() + 2 * DAY;
      expect((await viaAgent()).status).toBe(401);
      now = Date.now();
      expect((await viaAgent()).status).toBe(200);

      const old = fake.configMap!.data['requestheader-client-ca-file']!;
      fake.configMap!.data['requestheader-client-ca-file'] = (await createCA({ commonName: 'replacement-ca' })).cert;
      try {
        await auth.refresh();
        expect((await viaAgent()).status).toBe(401);
      } finally {
        fake.configMap!.data['requestheader-client-ca-file'] = old;
        await auth.refresh();
      }
      expect((await viaAgent()).status).toBe(200);
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
      whoami.server.off('secureConnection', onConn);
    }
  });

  it('a front-proxy certificate without the client-auth EKU → 401', async () => {
    const r = await asClient(certs.serverOnlyProxy!, remote('jane'));
    expect(r.status).toBe(401);
  });

  it('a front-proxy certificate issued by an intermediate the client presents → authenticated', async () => {
    const r = await asClient(certs.proxyViaIntermediate!, remote('jane'));
    expect(r.status).toBe(200);
    expect((r.body as UserInfo).name).toBe('jane');
  });
});

describe('client-certificate authentication (client-ca-file)', () => {
  it('CN is the user and O are the groups; X-Remote-* headers are ignored', async () => {
    const r = await asClient(certs.bob!, remote('admin', ['system:masters']));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: 'bob', groups: ['team-a', 'team-b', 'system:authenticated'], extra: {} });
  });

  it('a client-CA certificate with the proxy CN does not get to assert users', async () => {
    const r = await asClient(certs.clientCANamedLikeProxy!, remote('admin', ['system:masters']));
    expect(r.status).toBe(200);
    expect((r.body as UserInfo).name).toBe('front-proxy-client');
    expect((r.body as UserInfo).groups).not.toContain('system:masters');
  });
});

describe('bearer tokens through TokenReview', () => {
  const bearer = (token: string) => call(whoami.url, { ca: servingCA.cert, headers: { Authorization: `Bearer ${token}` } });

  it('accepts a valid token, caches it, and reviews again after the TTL', async () => {
    const before = fake.counts.tokenReviews;
    const r = await bearer('alice-token');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      name: 'alice',
      uid: 'alice-uid',
      groups: ['developers', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['kscape-scan-1'] },
    });
    expect(fake.lastTokenReview?.spec.token).toBe('alice-token');
    expect((await bearer('alice-token')).status).toBe(200);
    expect((await bearer('alice-token')).status).toBe(200);
    expect(fake.counts.tokenReviews).toBe(before + 1);

    now += 10_001;
    expect((await bearer('alice-token')).status).toBe(200);
    expect(fake.counts.tokenReviews).toBe(before + 2);
    expect(auth.stats().tokenReviews).toBe(fake.counts.tokenReviews);
    expect(auth.stats().tokenCache?.hits).toBeGreaterThanOrEqual(2);
    // Our own service-account token was presented every time.
    expect(fake.counts.unauthorized).toBe(0);
  });

  it('rejects an unknown token, caches the rejection briefly', async () => {
    const before = fake.counts.tokenReviews;
    expect((await bearer('forged-token')).status).toBe(401);
    expect((await bearer('forged-token')).status).toBe(401);
    expect(fake.counts.tokenReviews).toBe(before + 1);
    now += 2_001;
    expect((await bearer('forged-token')).status).toBe(401);
    expect(fake.counts.tokenReviews).toBe(before + 2);
  });

  it('an empty bearer token is invalid without asking the apiserver', async () => {
    const before = fake.counts.tokenReviews;
    const r = await call(whoami.url, { ca: servingCA.cert, headers: { Authorization: 'Bearer  x' } });
    expect(r.status).toBe(401);
    expect(fake.counts.tokenReviews).toBe(before);
  });

  it('TokenReview failures → 401 and are not cached', async () => {
    fake.tokens.set('carol-token', { username: 'carol' });
    fake.failTokenReviews = true;
    const before = fake.counts.tokenReviews;
    expect((await bearer('carol-token')).status).toBe(401);
    fake.failTokenReviews = false;
    const r = await bearer('carol-token');
    expect(r.status).toBe(200);
    expect((r.body as UserInfo).name).toBe('carol');
    expect(fake.counts.tokenReviews).toBe(before + 2);
  });

  it('a rejected certificate does not stop a valid token (first success wins)', async () => {
    const r = await asClient(certs.evilProxy!, { ...remote('mallory'), Authorization: 'Bearer alice-token' });
    expect(r.status).toBe(200);
    expect((r.body as UserInfo).name).toBe('alice');
  });

  it('front-proxy comes before the token', async () => {
    const r = await asClient(certs.proxy!, { ...remote('jane'), Authorization: 'Bearer alice-token' });
    expect((r.body as UserInfo).name).toBe('jane');
  });
});

describe('CA rotation through the ConfigMap', () => {
  it('picks up a new requestheader CA on refresh and updates the TLS options', async () => {
    const newCA = await createCA({ commonName: 'front-proxy-ca-2' });
    const newProxy = await issueClientCert(newCA, { commonName: 'front-proxy-client' });
    expect((await asClient(newProxy, remote('jane'))).status).toBe(401);

    const old = fake.configMap!.data['requestheader-client-ca-file']!;
    fake.configMap!.data['requestheader-client-ca-file'] = old + newCA.cert;
    try {
      await auth.refresh();
      expect(auth.tls.ca).toEqual([old + newCA.cert, clientCA.cert]);
      expect((await asClient(newProxy, remote('jane'))).status).toBe(200);
      expect((await asClient(certs.proxy!, remote('jane'))).status).toBe(200);
    } finally {
      fake.configMap!.data['requestheader-client-ca-file'] = old;
      await auth.refresh();
    }
    expect((await asClient(newProxy, remote('jane'))).status).toBe(401);
  });
});
