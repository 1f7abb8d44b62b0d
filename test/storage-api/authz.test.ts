/**
 * Issue 3 acceptance, end to end: the storage-api server itself (HTTPS, delegated authentication and
 * authorization, a real database), certificates generated here, and a real HTTPS fake kube-apiserver
 * serving the extension-apiserver-authentication ConfigMap and SubjectAccessReviews. A request through
 * the front proxy for a user the SubjectAccessReview denies gets a 403 Status; one it allows gets the
 * list; no client certificate, or a proxy certificate from another CA, gets 401.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../../lib/db/testing.js';
import {
  type FakeApiServer,
  startFakeApiServer,
} from '../../storage-api/auth/__fixtures__/fake-kube-apiserver.js';
import { authOptionsFromEnv } from '../../storage-api/auth/index.js';
import { startStorageServer, type StorageServer } from '../../storage-api/server.js';
import { type KeyPairPem, createCA, issueClientCert, issueServerCert } from '../support/pki.js';

const LIST = '/apis/spdx.softwarecomposition.kubescape.io/v1beta1/namespaces/default/vulnerabilitymanifests';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

forEachDriver(
  'storage-api server: front-proxy authentication and SubjectAccessReview authorization',
  (driver) => {
    let tdb: CreatedTestDatabase;
    let fake: FakeApiServer;
    let server: StorageServer;
    let dir: string;
    let servingCA: KeyPairPem;
    let proxy: KeyPairPem;
    let evilProxy: KeyPairPem;

    function get(path: string, client?: KeyPairPem, user?: string): Promise<Reply> {
      return new Promise((resolve, reject) => {
        const req = https.request(
          `${server.url}${path}`,
          {
            ca: servingCA.cert,
            ...(client ? { cert: client.chain, key: client.key } : {}),
            headers: {
              accept: 'application/json',
              ...(user ? { 'X-Remote-User': user, 'X-Remote-Group': 'team-a' } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    }

    beforeAll(async () => {
      tdb = await createTestDatabase(driver);
      dir = await mkdtemp(join(tmpdir(), 'kscape-authz-'));
      let frontProxyCA: KeyPairPem;
      let evilCA: KeyPairPem;
      [servingCA, frontProxyCA, evilCA] = await Promise.all([
        createCA({ commonName: 'storage-api-serving-ca' }),
        createCA({ commonName: 'front-proxy-ca' }),
        createCA({ commonName: 'evil-ca' }),
      ]);
      const serving = await issueServerCert(servingCA, { hosts: ['localhost', '127.0.0.1'] });
      await writeFile(join(dir, 'tls.crt'), serving.chain);
      await writeFile(join(dir, 'tls.key'), serving.key);
      proxy = await issueClientCert(frontProxyCA, { commonName: 'front-proxy-client' });
      evilProxy = await issueClientCert(evilCA, { commonName: 'front-proxy-client' });

      fake = await startFakeApiServer();
      fake.configMap = {
        data: {
          'requestheader-client-ca-file': frontProxyCA.cert,
          'requestheader-allowed-names': '["front-proxy-client"]',
          'requestheader-username-headers': '["X-Remote-User"]',
          'requestheader-group-headers': '["X-Remote-Group"]',
          'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
        },
      };
      // RBAC stand-in: alice may list vulnerability manifests, nobody else may do anything.
      fake.policy = (spec) =>
        spec.user === 'alice' &&
        spec.resourceAttributes?.verb === 'list' &&
        spec.resourceAttributes.resource === 'vulnerabilitymanifests'
          ? { allowed: true }
          : { allowed: false, reason: 'no RBAC policy matched' };

      server = await startStorageServer({
        insecureLocal: false,
        port: 0,
        host: '127.0.0.1',
        sandbox: false,
        database: tdb.db,
        shutdownTimeoutMs: 500,
        auth: {
          options: authOptionsFromEnv({
            KSCAPE_STORAGE_TLS_CERT_FILE: join(dir, 'tls.crt'),
            KSCAPE_STORAGE_TLS_KEY_FILE: join(dir, 'tls.key'),
            KSCAPE_STORAGE_AUTHN_CONFIG_REFRESH: '0',
          }),
          deps: { kubeConfig: fake.kubeConfig() },
        },
      });
    });

    afterAll(async () => {
      await server?.close();
      await fake?.close();
      await tdb?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('a SubjectAccessReview denial is a 403 Status naming the user and the reason; an allowed user gets the list', async () => {
      const denied = await get(LIST, proxy, 'mallory');
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
      });
      expect(String(denied.body.message)).toContain('"mallory"');
      expect(String(denied.body.message)).toContain('no RBAC policy matched');
      // The review carried what the front proxy asserted.
      expect(fake.sarSpecs.find((s) => s.user === 'mallory')).toMatchObject({
        groups: expect.arrayContaining(['team-a']) as unknown,
        resourceAttributes: {
          verb: 'list',
          resource: 'vulnerabilitymanifests',
          namespace: 'default',
          group: 'spdx.softwarecomposition.kubescape.io',
        },
      });

      const allowed = await get(LIST, proxy, 'alice');
      expect(allowed.status).toBe(200);
      expect(allowed.body).toMatchObject({ kind: 'VulnerabilityManifestList', items: [] });
    });

    it('no client certificate, or a proxy certificate from another CA, is 401 even with X-Remote-User', async () => {
      const sarsBefore = fake.counts.sars;
      for (const r of [await get(LIST, undefined, 'alice'), await get(LIST, evilProxy, 'alice')]) {
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      }
      // Unauthenticated requests never reach authorization.
      expect(fake.counts.sars).toBe(sarsBefore);
    });
  },
);
