import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, issueClientCert, issueServerCert } from '../../test/support/pki.js';
import { call, startWhoami } from './__fixtures__/whoami-server.js';
import { authOptionsFromEnv, createAuth } from './index.js';
import { httpsServerOptions, loadServingTls } from './tls.js';

const silent = pino({ level: 'silent' });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kscape-tls-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Handshake and return the server certificate the client saw (or the verification error). */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ...opts }, () => {
      const c = s.getPeerX509Certificate();
      s.end();
      if (c) resolve(c);
      else reject(new Error('no peer certificate'));
    });
    s.on('error', reject);
  });
}

async function listen(options: https.ServerOptions): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer(options, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('loadServingTls', () => {
  it('generates a self-signed CA and serving certificate valid for the service name, localhost and IPs', async () => {
    const hosts = ['kscape-storage-api.kubescape.svc', 'localhost', '127.0.0.1'];
    const serving = await loadServingTls({ hosts, log: silent });
    expect(serving.generated).toBe(true);
    expect(serving.caCert).toMatch(/BEGIN CERTIFICATE/);
    const leaf = new X509Certificate(serving.cert);
    expect(leaf.subjectAltName).toBe('DNS:kscape-storage-api.kubescape.svc, DNS:localhost, IP Address:127.0.0.1');
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(new X509Certificate(serving.caCert!))).toBe(true);

    const { server, port } = await listen(httpsServerOptions(serving));
    try {
      // A client that trusts only the generated CA verifies the service name and the IP.
      await expect(handshake(port, { ca: serving.caCert!, servername: 'kscape-storage-api.kubescape.svc' })).resolves.toBeDefined();
      await expect(handshake(port, { ca: serving.caCert! })).resolves.toBeDefined();
      await expect(handshake(port, { ca: serving.caCert!, servername: 'evil.example.com' })).rejects.toThrow(/altnames|Hostname/i);
      // And nobody else trusts it.
      await expect(handshake(port, { servername: 'localhost' })).rejects.toThrow();
    } finally {
      server.close();
    }
  });

  it('loads files, and refuses half or mismatched configurations', async () => {
    const ca = await createCA({ commonName: 'serving-ca' });
    const a = await issueServerCert(ca);
    const b = await issueServerCert(ca);
    await writeFile(join(dir, 'a.crt'), a.chain);
    await writeFile(join(dir, 'a.key'), a.key);
    await writeFile(join(dir, 'b.key'), b.key);
    const loaded = await loadServingTls({ certFile: join(dir, 'a.crt'), keyFile: join(dir, 'a.key'), hosts: [] });
    expect(loaded).toEqual({ cert: a.chain, key: a.key, generated: false });
    await expect(loadServingTls({ certFile: join(dir, 'a.crt'), hosts: [] })).rejects.toThrow(/configured together/);
    await expect(loadServingTls({ certFile: join(dir, 'a.crt'), keyFile: join(dir, 'b.key'), hosts: [] })).rejects.toThrow(/not a usable pair/);
  });
});

describe('httpsServerOptions', () => {
  it('requests but does not require client certificates, and lists the client CAs', () => {
    const o = httpsServerOptions({ cert: 'C', key: 'K' }, ['CA1', '', 'CA2']);
    expect(o).toEqual({ cert: 'C', key: 'K', requestCert: true, rejectUnauthorized: false, ca: ['CA1', 'CA2'], minVersion: 'TLSv1.2' });
    expect(httpsServerOptions({ cert: 'C', key: 'K' }).ca).toBeUndefined();
  });

  it('lets clients without a certificate or with an unknown one complete the handshake (token auth)', async () => {
    const servingCA = await createCA({ commonName: 'serving-ca' });
    const serving = await issueServerCert(servingCA);
    const clientCA = await createCA({ commonName: 'client-ca' });
    const stranger = await issueClientCert(await createCA({ commonName: 'stranger-ca' }), { commonName: 'x' });
    const { server, port } = await listen(httpsServerOptions(serving, [clientCA.cert]));
    try {
      await expect(handshake(port, { ca: servingCA.cert, servername: 'localhost' })).resolves.toBeDefined();
      await expect(handshake(port, { ca: servingCA.cert, servername: 'localhost', cert: stranger.cert, key: stranger.key })).resolves.toBeDefined();
    } finally {
      server.close();
    }
  });
});

describe('createAuth TLS lifecycle', () => {
  it('reloads a renewed serving certificate into attached servers', async () => {
    const ca = await createCA({ commonName: 'serving-ca' });
    const first = await issueServerCert(ca);
    const second = await issueServerCert(ca);
    await writeFile(join(dir, 'tls.crt'), first.chain);
    await writeFile(join(dir, 'tls.key'), first.key);
    const auth = await createAuth(
      authOptionsFromEnv({
        KSCAPE_STORAGE_TLS_CERT_FILE: join(dir, 'tls.crt'),
        KSCAPE_STORAGE_TLS_KEY_FILE: join(dir, 'tls.key'),
        KSCAPE_STORAGE_AUTHZ_MODE: 'always-allow',
        KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH: '0',
      }),
      { kubeConfig: null, log: silent },
    );
    const whoami = await startWhoami(auth.tls, auth.authenticator);
    auth.attachServer(whoami.server);
    const port = Number(new URL(whoami.url).port);
    try {
      const before = await handshake(port, { ca: ca.cert, servername: 'localhost' });
      expect(before.serialNumber).toBe(first.x509.serialNumber.toUpperCase());

      await writeFile(join(dir, 'tls.crt'), second.chain);
      await writeFile(join(dir, 'tls.key'), second.key);
      await auth.refresh();
      const after = await handshake(port, { ca: ca.cert, servername: 'localhost' });
      expect(after.serialNumber).toBe(second.x509.serialNumber.toUpperCase());

      // Without a kubeconfig nothing can authenticate (no CA, no TokenReview): 401, not a crash.
      expect((await call(whoami.url, { ca: ca.cert, path: '/apis' })).status).toBe(401);
    } finally {
      auth.close();
      await whoami.close();
    }
  });

  it('delegated authorization without a kubeconfig is a start-up error', async () => {
    await expect(
      createAuth(authOptionsFromEnv({ KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH: '0' }), { kubeConfig: null, log: silent }),
    ).rejects.toThrow(/delegated authorization needs a kubeconfig/);
  });
});
