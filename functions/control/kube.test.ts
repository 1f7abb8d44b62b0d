import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeHttp } from '../../lib/kube/http.js';
import { EXCEPTIONS_CONFIGMAP, EXCEPTIONS_KEY, kubeControl } from './kube.js';

/** What the API server received, and a configurable answer per method. */
interface Seen {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
}

describe('kubeControl against an HTTP API server', () => {
  let server: Server;
  const seen: Seen[] = [];
  let configMapExists = false;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body: text ? JSON.parse(text) : undefined,
        });
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.method === 'PUT' && !configMapExists)
          return send(404, {
            kind: 'Status',
            code: 404,
            reason: 'NotFound',
            message: 'configmaps "kscape-exceptions" not found',
          });
        if (req.url?.includes('/pingsources/missing'))
          return send(404, {
            kind: 'Status',
            code: 404,
            reason: 'NotFound',
            message: 'pingsources.sources.knative.dev "missing" not found',
          });
        if (req.method === 'POST') configMapExists = true;
        send(200, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const control = () =>
    kubeControl(
      kubeHttp({
        getCurrentCluster: () => ({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
        applyToHTTPSOptions: async () => {},
      }),
    );

  it('sets a PingSource schedule with a JSON merge patch of spec.schedule only', async () => {
    await control().setPingSchedule('kscape', 'kscape-posture', '0 3 * * *');
    expect(seen.at(-1)).toEqual({
      method: 'PATCH',
      path: '/apis/sources.knative.dev/v1/namespaces/kscape/pingsources/kscape-posture',
      contentType: 'application/merge-patch+json',
      body: { spec: { schedule: '0 3 * * *' } },
    });
  });

  it('a missing PingSource is an error naming it', async () => {
    await expect(control().setPingSchedule('kscape', 'missing', '* * * * *')).rejects.toThrow(
      /HTTP 404.*"missing" not found/,
    );
  });

  it('creates the exceptions ConfigMap when absent, then replaces it', async () => {
    const policies = [
      { name: 'allow-debug', policyType: 'postureExceptionPolicy', actions: ['alertOnly'], resources: [] },
    ];
    await control().setExceptions('kscape', policies as never);
    const [put, post] = seen.slice(-2);
    expect(put).toMatchObject({
      method: 'PUT',
      path: `/api/v1/namespaces/kscape/configmaps/${EXCEPTIONS_CONFIGMAP}`,
    });
    expect(post).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/kscape/configmaps' });
    expect(post?.body).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: EXCEPTIONS_CONFIGMAP,
        namespace: 'kscape',
        labels: { 'app.kubernetes.io/managed-by': 'kscape-control' },
      },
      data: { [EXCEPTIONS_KEY]: JSON.stringify(policies) },
    });
    await control().setExceptions('kscape', []);
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', body: { data: { [EXCEPTIONS_KEY]: '[]' } } });
  });
});
