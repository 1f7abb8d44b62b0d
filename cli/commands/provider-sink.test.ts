import { afterEach, describe, expect, it } from 'vitest';
import { generateSecret, signHeaders } from '../../lib/webhooks/index.js';
import { startProviderSink, type ProviderSink } from './provider-sink.js';

describe('kscape provider-sink', () => {
  let sink: ProviderSink | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it('verifies signatures, dedupes by webhook-id and prints each delivery', async () => {
    const secret = generateSecret();
    const lines: string[] = [];
    sink = await startProviderSink({ port: 0, secret, print: (l) => lines.push(l) });
    const body = JSON.stringify({
      specversion: '1.0',
      id: 'ev1',
      type: 'io.kubescape.vulnscan.completed',
      source: '/kscape/vuln',
      data: { image: 'nginx', severities: {} },
    });
    const ts = Math.floor(Date.now() / 1000);
    const send = (headers: Record<string, string>): Promise<Response> =>
      fetch(sink!.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/cloudevents+json', ...headers },
      });
    expect((await send(signHeaders(secret, 'ev1', ts, body))).status).toBe(204);
    expect((await send(signHeaders(secret, 'ev1', ts, body))).status).toBe(200);
    expect((await send(signHeaders(generateSecret(), 'ev2', ts, body))).status).toBe(401);
    expect(sink.deliveries.map((d) => [d.id, d.verified, d.duplicate])).toEqual([
      ['ev1', true, false],
      ['ev1', true, true],
      ['ev2', false, false],
    ]);
    expect(lines[0]).toMatch(
      /^id=ev1 type=io\.kubescape\.vulnscan\.completed timestamp=\S+Z verified=true bytes=\d+ keys=\[image,severities\]$/,
    );
    expect(lines[1]).toMatch(/^DUPLICATE id=ev1 /);
    expect(lines[2]).toMatch(/verified=false \(no webhook-signature matches/);
  });

  it('shows the path, X-API-KEY presence and chunk of a kubescape-format report', async () => {
    const secret = generateSecret();
    const lines: string[] = [];
    sink = await startProviderSink({ port: 0, secret, print: (l) => lines.push(l) });
    const body = JSON.stringify({
      customerGUID: 'a',
      paginationInfo: { chunkNumber: 2, isLastChunk: true },
      results: [],
    });
    const res = await fetch(`${sink.url}/k8s/v2/postureReport?customerGUID=a&clusterName=c`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'secret-key',
        ...signHeaders(secret, 'ev9.2', Math.floor(Date.now() / 1000), body),
      },
    });
    expect(res.status).toBe(204);
    expect(sink.deliveries[0]).toMatchObject({
      id: 'ev9.2',
      verified: true,
      path: '/k8s/v2/postureReport?customerGUID=a&clusterName=c',
      apiKey: true,
    });
    expect(lines[0]).toMatch(
      /^id=ev9\.2 type=- timestamp=\S+ verified=true bytes=\d+ path=\/k8s\/v2\/postureReport\?customerGUID=a&clusterName=c api-key=yes chunk=2 last=true$/,
    );
    expect(lines[0]).not.toContain('secret-key');
  });

  it('prints type, subject, chunk n/N, items and bytes of a cloudevents-format result chunk', async () => {
    const secret = generateSecret();
    const lines: string[] = [];
    sink = await startProviderSink({ port: 0, secret, print: (l) => lines.push(l) });
    const send = async (id: string, data: Record<string, unknown>): Promise<void> => {
      const body = JSON.stringify({
        specversion: '1.0',
        id,
        type: 'io.kubescape.export.sbom',
        source: '/kscape/vuln',
        subject: 'nginx:1.25',
        data,
      });
      const res = await fetch(sink!.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/cloudevents+json',
          ...signHeaders(secret, id, Math.floor(Date.now() / 1000), body),
        },
      });
      expect(res.status).toBe(204);
    };
    await send('ev3.sbom.0', {
      chunk: 0,
      chunks: 2,
      document: {},
      spdx: { packages: [1, 2], relationships: [3] },
    });
    await send('ev3.sbom.1', { chunk: 1, chunks: 2, spdx: { packages: [4] } });
    expect(lines[0]).toMatch(
      /^id=ev3\.sbom\.0 type=io\.kubescape\.export\.sbom timestamp=\S+ verified=true bytes=\d+ subject=nginx:1\.25 chunk=1\/2 items=3$/,
    );
    expect(lines[1]).toMatch(/ subject=nginx:1\.25 chunk=2\/2 items=1$/);
  });
});
