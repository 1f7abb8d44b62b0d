/**
 * Interoperability with real non-Node clients: kubectl (Go's crypto/tls and client-go, like the
 * aggregator) and the openssl CLI (to read the CertificateRequest the server sends, which Go
 * clients use to choose a client certificate). Skipped when the tool is not installed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyPairPem, createCA, issueClientCert, issueServerCert } from '../../test/support/pki.js';
import { type FakeApiServer, startFakeApiServer } from './__fixtures__/fake-kube-apiserver.js';
import { type WhoamiServer, startWhoami } from './__fixtures__/whoami-server.js';
import { authOptionsFromEnv, createAuth, type StorageAuth } from './index.js';

const run = promisify(execFile);

async function has(tool: string, args: string[]): Promise<boolean> {
  try {
    await run(tool, args);
    return true;
  } catch {
    return false;
  }
}
const hasKubectl = await has('kubectl', ['version', '--client']);
const hasOpenssl = await has('openssl', ['version']);

let dir: string;
let fake: FakeApiServer;
let auth: StorageAuth;
let whoami: WhoamiServer;
let servingCA: KeyPairPem;
let frontProxyCA: KeyPairPem;
let clientCA: KeyPairPem;

async function file(name: string, content: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kscape-interop-'));
  [servingCA, frontProxyCA, clientCA] = await Promise.all([
    createCA({ commonName: 'storage-api-serving-ca' }),
    createCA({ commonName: 'front-proxy-ca' }),
    createCA({ commonName: 'kubernetes-client-ca' }),
  ]);
  const serving = await issueServerCert(servingCA, { hosts: ['localhost', '127.0.0.1'] });
  fake = await startFakeApiServer();
  fake.configMap = {
    data: {
      'client-ca-file': clientCA.cert,
      'requestheader-client-ca-file': frontProxyCA.cert,
      'requestheader-allowed-names': '["front-proxy-client"]',
    },
  };
  fake.tokens.set('alice-token', { username: 'alice', groups: ['developers'] });
  auth = await createAuth(
    authOptionsFromEnv({
      KSCAPE_STORAGE_TLS_CERT_FILE: await file('tls.crt', serving.chain),
      KSCAPE_STORAGE_TLS_KEY_FILE: await file('tls.key', serving.key),
      KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH: '0',
    }),
    { kubeConfig: fake.kubeConfig(), log: pino({ level: 'silent' }) },
  );
  whoami = await startWhoami(auth.tls, auth.authenticator);
  auth.attachServer(whoami.server);
});

afterAll(async () => {
  auth?.close();
  await whoami?.close();
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function kubectl(args: string[]): Promise<{ ok: boolean; out: string }> {
  const base = [
    `--kubeconfig=${await file('empty-kubeconfig', 'apiVersion: v1\nkind: Config\n')}`,
    `--server=${whoami.url}`,
    `--certificate-authority=${await file('serving-ca.crt', servingCA.cert)}`,
    'get',
    '--raw',
    '/apis/spdx.softwarecomposition.kubescape.io/v1beta1',
  ];
  try {
    const { stdout } = await run('kubectl', [...base, ...args], { env: { PATH: process.env.PATH ?? '' } });
    return { ok: true, out: stdout };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: string }).stderr ?? e) };
  }
}

describe.skipIf(!hasKubectl)('kubectl (Go client) against the authenticating server', () => {
  it('a bearer token is reviewed and accepted', async () => {
    const r = await kubectl(['--token=alice-token']);
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.out)).toEqual({ name: 'alice', groups: ['developers', 'system:authenticated'], extra: {} });
  });

  it('a wrong token is Unauthorized', async () => {
    const r = await kubectl(['--token=nope']);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/must be logged in/);
  });

  it('a client-CA certificate authenticates as CN / O', async () => {
    const bob = await issueClientCert(clientCA, { commonName: 'bob', organizations: ['team-a'] });
    const r = await kubectl([`--client-certificate=${await file('bob.crt', bob.chain)}`, `--client-key=${await file('bob.key', bob.key)}`]);
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.out)).toMatchObject({ name: 'bob', groups: ['team-a', 'system:authenticated'] });
  });

  it('a certificate from an unknown CA is Unauthorized', async () => {
    const evil = await issueClientCert(await createCA({ commonName: 'evil-ca' }), { commonName: 'front-proxy-client' });
    const r = await kubectl([`--client-certificate=${await file('evil.crt', evil.chain)}`, `--client-key=${await file('evil.key', evil.key)}`]);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/must be logged in/);
  });
});

async function acceptableCANames(): Promise<string> {
  const port = new URL(whoami.url).port;
  const { stdout } = await run('sh', [
    '-c',
    `openssl s_client -connect 127.0.0.1:${port} -servername localhost -CAfile "${join(dir, 'serving-ca.crt')}" </dev/null 2>/dev/null`,
  ]);
  const m = /Acceptable client certificate CA names\n([\s\S]*?)\n(?:Requested|Client Certificate Types|Peer signing|Shared)/.exec(stdout);
  return m?.[1] ?? '';
}

describe.skipIf(!hasOpenssl)('CertificateRequest CA names (what Go clients use to pick a certificate)', () => {
  it('lists the requestheader and client CAs, and follows rotation into the live server', async () => {
    await file('serving-ca.crt', servingCA.cert);
    const before = await acceptableCANames();
    expect(before).toMatch(/^CN ?= ?front-proxy-ca$/m);
    expect(before).toMatch(/^CN ?= ?kubernetes-client-ca$/m);
    expect(before).not.toMatch(/front-proxy-ca-2/);

    const next = await createCA({ commonName: 'front-proxy-ca-2' });
    fake.configMap!.data['requestheader-client-ca-file'] = frontProxyCA.cert + next.cert;
    await auth.refresh();
    const after = await acceptableCANames();
    expect(after).toMatch(/^CN ?= ?front-proxy-ca-2$/m);
    expect(after).toMatch(/^CN ?= ?front-proxy-ca$/m);
  });
});
