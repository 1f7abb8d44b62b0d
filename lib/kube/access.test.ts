import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type RequestOptions, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, issueServerCert, type KeyPairPem } from '../../test/support/pki.js';
import { accessSource, loadKubeAccess } from './access.js';
import { discovery, UnservedKindError } from './discovery.js';
import { kubeHttp, kubeJson } from './http.js';
import { inClusterAccess } from './in-cluster.js';
import { listPages } from './paged.js';

/** A service account mount as the kubelet writes it. */
function serviceAccountDir(root: string, token: string, ca?: string): string {
  const dir = join(root, 'serviceaccount');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), token);
  writeFileSync(join(dir, 'namespace'), 'kscape');
  if (ca) writeFileSync(join(dir, 'ca.crt'), ca);
  return dir;
}

describe('which configuration loadKubeAccess() uses (client-node loadFromDefault order)', () => {
  const root = mkdtempSync(join(tmpdir(), 'kscape-access-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const sa = serviceAccountDir(root, 't0');
  const pod = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it('KUBECONFIG first, then ~/.kube/config, then the service account, else the default', () => {
    const home = join(root, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    expect(accessSource({ env: { ...pod, KUBECONFIG: '/x' }, serviceAccountDir: sa })).toBe('kubeconfig');
    expect(accessSource({ env: { ...pod, HOME: home }, serviceAccountDir: sa })).toBe('in-cluster');
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n');
    expect(accessSource({ env: { ...pod, HOME: home }, serviceAccountDir: sa })).toBe('kubeconfig');
    expect(accessSource({ env: pod, serviceAccountDir: sa })).toBe('in-cluster');
    expect(accessSource({ env: pod, serviceAccountDir: join(root, 'none') })).toBe('default');
    expect(accessSource({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: sa })).toBe(
      'default',
    );
  });

  it('servers as client-go writes them: IPv6 in brackets, plain HTTP on 80/8080/8001', () => {
    const server = (host: string, port: string) =>
      inClusterAccess(sa, {
        KUBERNETES_SERVICE_HOST: host,
        KUBERNETES_SERVICE_PORT: port,
      }).getCurrentCluster()?.server;
    expect(server('10.96.0.1', '443')).toBe('https://10.96.0.1:443');
    expect(server('fd00::1', '443')).toBe('https://[fd00::1]:443');
    expect(server('127.0.0.1', '8080')).toBe('http://127.0.0.1:8080');
    expect(() => inClusterAccess(sa, {})).toThrow(/KUBERNETES_SERVICE_HOST/);
  });

  it('re-reads a rotated token after 60 s, not on every request', async () => {
    const dir = serviceAccountDir(join(root, 'rotate'), 'first\n');
    let t = 1_000_000;
    const access = inClusterAccess(
      dir,
      { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '8080' },
      () => t,
    );
    const auth = async () => {
      const o: RequestOptions = {};
      await access.applyToHTTPSOptions(o);
      return (o.headers as Record<string, unknown> | undefined)?.authorization;
    };
    expect(await auth()).toBe('Bearer first');
    writeFileSync(join(dir, 'token'), 'second');
    t += 59_000;
    expect(await auth()).toBe('Bearer first');
    t += 2_000;
    expect(await auth()).toBe('Bearer second');
  });
});

describe('in a pod: the service account against a real HTTPS API server', () => {
  let ca: KeyPairPem;
  let server: Server;
  let port: number;
  const seen: { path: string; auth?: string | undefined; accept?: string | undefined }[] = [];
  const root = mkdtempSync(join(tmpdir(), 'kscape-incluster-'));
  const token = 'sa-token-1';

  beforeAll(async () => {
    ca = await createCA({ commonName: 'kscape-test-cluster-ca' });
    const serving = await issueServerCert(ca, { hosts: ['127.0.0.1'] });
    server = createHttpsServer({ cert: serving.cert, key: serving.key }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      seen.push({
        path: url.pathname + url.search,
        auth: req.headers.authorization,
        accept: req.headers.accept,
      });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, { kind: 'Status', code: 401, message: 'Unauthorized' });
      if (url.pathname === '/apis/apps/v1')
        return send(200, {
          kind: 'APIResourceList',
          resources: [
            { name: 'deployments', kind: 'Deployment', namespaced: true },
            { name: 'deployments/status', kind: 'Deployment', namespaced: true },
          ],
        });
      if (url.pathname === '/api/v1')
        return send(200, {
          kind: 'APIResourceList',
          resources: [{ name: 'nodes', kind: 'Node', namespaced: false }],
        });
      if (url.pathname === '/api/v1/pods') {
        const page = url.searchParams.get('continue');
        return send(200, {
          kind: 'PodList',
          metadata: page ? {} : { continue: 'p2' },
          items: [{ metadata: { name: page ? 'b' : 'a' } }],
        });
      }
      if (url.pathname === '/apis/apps/v1/namespaces/prod/deployments/web')
        return send(200, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'prod' },
        });
      send(404, { kind: 'Status', code: 404, reason: 'NotFound', message: `${url.pathname} not found` });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it('verifies the server with the mounted CA and sends the token; lists page by page; maps kinds through discovery', async () => {
    const sa = serviceAccountDir(root, token, ca.cert);
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) };
    expect(accessSource({ env, serviceAccountDir: sa })).toBe('in-cluster');
    const http = kubeHttp(() => loadKubeAccess({ env, serviceAccountDir: sa }));

    const pods: { metadata: { name: string } }[] = [];
    for await (const p of listPages<{ metadata: { name: string } }>(http, '/api/v1/pods', { limit: 1 }))
      pods.push(p);
    expect(pods.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(seen.filter((s) => s.path.startsWith('/api/v1/pods')).map((s) => s.path)).toEqual([
      '/api/v1/pods?limit=1',
      '/api/v1/pods?limit=1&continue=p2',
    ]);
    expect(seen.every((s) => s.auth === `Bearer ${token}`)).toBe(true);

    const api = discovery(http);
    const path = await api.objectPath({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'prod',
      name: 'web',
    });
    expect(path).toBe('/apis/apps/v1/namespaces/prod/deployments/web');
    expect(await kubeJson(http, 'GET', path)).toMatchObject({ metadata: { name: 'web' } });
    expect(await api.objectPath({ apiVersion: 'v1', kind: 'Node', namespace: 'ignored', name: 'n1' })).toBe(
      '/api/v1/nodes/n1',
    );
    await expect(api.resourceOf('apps/v1', 'Nope')).rejects.toBeInstanceOf(UnservedKindError);
    // One discovery request per group-version, however many lookups.
    expect(seen.filter((s) => s.path === '/apis/apps/v1')).toHaveLength(1);
  });

  it('refuses a server its CA did not sign', async () => {
    const other = await createCA({ commonName: 'someone-else' });
    const sa = serviceAccountDir(join(root, 'other'), token, other.cert);
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) };
    const http = kubeHttp(() => loadKubeAccess({ env, serviceAccountDir: sa }));
    await expect(http.request('GET', '/api/v1')).rejects.toThrow(/certificate/i);
  });
});
