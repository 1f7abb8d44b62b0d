/**
 * A real HTTPS server standing in for kube-apiserver in auth tests: answers TokenReview,
 * SubjectAccessReview and the extension-apiserver-authentication ConfigMap, requires our own
 * service-account token, and counts every call so tests can prove caching.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { type KeyPairPem, b64, createCA, issueServerCert } from '../../../test/support/pki.js';

export interface ReviewUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface SarSpec {
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: { path: string; verb: string };
}

export interface FakeApiServer {
  url: string;
  ca: KeyPairPem;
  /** The token our client must present (the storage-api's service account). */
  saToken: string;
  tokens: Map<string, ReviewUser>;
  /** Audiences the fake reports as granted; when set, requests for other audiences fail. */
  tokenAudiences?: string[];
  policy: (spec: SarSpec) => { allowed: boolean; denied?: boolean; reason?: string };
  configMap?: { data: Record<string, string> };
  /** Force the next responses of a kind to be HTTP 500. */
  failTokenReviews: boolean;
  failSar: boolean;
  /** Accept requests but never answer (timeouts). */
  hang: boolean;
  counts: { tokenReviews: number; sars: number; configMaps: number; unauthorized: number };
  lastTokenReview?: { spec: { token: string; audiences?: string[] } };
  sarSpecs: SarSpec[];
  kubeConfig(token?: string): KubeConfig;
  close(): Promise<void>;
}

async function readJson(req: import('node:http').IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const ca = await createCA({ commonName: 'fake-kube-apiserver-ca' });
  const serving = await issueServerCert(ca, { hosts: ['127.0.0.1', 'localhost'] });
  const fake = {
    url: '',
    ca,
    saToken: 'storage-api-sa-token',
    tokens: new Map<string, ReviewUser>(),
    policy: () => ({ allowed: false }),
    failTokenReviews: false,
    failSar: false,
    hang: false,
    counts: { tokenReviews: 0, sars: 0, configMaps: 0, unauthorized: 0 },
    sarSpecs: [] as SarSpec[],
  } as Omit<FakeApiServer, 'kubeConfig' | 'close'> as FakeApiServer;

  const server = https.createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    void (async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${fake.saToken}`) {
        fake.counts.unauthorized++;
        return send(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', code: 401 });
      }
      if (fake.hang) return;
      const url = new URL(req.url ?? '/', 'https://x');
      if (req.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
        fake.counts.tokenReviews++;
        const body = (await readJson(req)) as { spec: { token: string; audiences?: string[] } };
        fake.lastTokenReview = body;
        if (fake.failTokenReviews) return send(500, { kind: 'Status', message: 'etcd is sad', code: 500 });
        const user = fake.tokens.get(body.spec.token);
        const wanted = body.spec.audiences ?? [];
        const granted = fake.tokenAudiences ?? ['https://kubernetes.default.svc'];
        const audOk = wanted.length === 0 || wanted.some((a) => granted.includes(a));
        return send(201, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: body.spec,
          status:
            user && audOk
              ? { authenticated: true, user, audiences: wanted.length ? wanted.filter((a) => granted.includes(a)) : granted }
              : { authenticated: false, error: user ? 'token audiences mismatch' : 'invalid bearer token' },
        });
      }
      if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
        fake.counts.sars++;
        const body = (await readJson(req)) as { spec: SarSpec };
        fake.sarSpecs.push(body.spec);
        if (fake.failSar) return send(500, { kind: 'Status', message: 'authorizer exploded', code: 500 });
        const d = fake.policy(body.spec);
        return send(201, {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: body.spec,
          status: { allowed: d.allowed, ...(d.denied ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) },
        });
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication') {
        fake.counts.configMaps++;
        if (!fake.configMap) {
          return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'configmaps "extension-apiserver-authentication" not found' });
        }
        return send(200, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' },
          data: fake.configMap.data,
        });
      }
      send(404, { kind: 'Status', code: 404, message: 'not found' });
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.kubeConfig = (token = fake.saToken) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: fake.url, caData: b64(ca.cert), skipTLSVerify: false }],
      users: [{ name: 'storage-api', token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'storage-api' }],
      currentContext: 'fake',
    });
    return kc;
  };
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
