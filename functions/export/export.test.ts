import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEvent, EVENT_TYPES, FUNCTION_ROUTES } from '../../lib/events/index.js';
import { logger } from '../../lib/log/index.js';
import { generateSecret, verify } from '../../lib/webhooks/index.js';
import { PermanentError, RateLimitedError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../runtime/types.js';
import { shortText } from './deliver.js';
import { createExportFunction } from './index.js';
import type { ObjectKey, ResultSource } from './results.js';

interface Got {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local provider answering with the given statuses in order (the last one repeats). */
async function provider(
  statuses: number[],
  extraHeaders: Record<string, string> = {},
): Promise<{ url: string; got: Got[] }> {
  const got: Got[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      res.writeHead(status, status >= 300 ? extraHeaders : {}).end(status >= 300 ? 'nope' : '');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as { port: number }).port}/ingest`, got };
}

const ctx = (): FunctionContext => ({
  log: logger('export-test'),
  signal: new AbortController().signal,
  source: '/kscape/export',
  emit: async () => undefined,
});

const event = (): IncomingEvent => {
  const ev = buildEvent(
    EVENT_TYPES.vulnScanCompleted,
    {
      image: 'nginx:1.25',
      severities: { critical: 1, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
    },
    { source: '/kscape/vuln', subject: 'nginx' },
  );
  return {
    id: ev.id,
    source: ev.source,
    type: EVENT_TYPES.vulnScanCompleted,
    subject: 'nginx',
    time: ev.time!,
    data: ev.data!,
    extensions: {},
  } as IncomingEvent;
};

const SECRET = generateSecret();
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

describe('export function', () => {
  it('consumes exactly its route', () => {
    expect(createExportFunction({ env: {} }).consumes).toEqual(FUNCTION_ROUTES.export.consumes);
  });

  it('delivers a signed structured CloudEvent that verifies with lib/webhooks', async () => {
    const p = await provider([204]);
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET },
      ...fast,
    });
    const ev = event();
    await fn.handle(ev, ctx());
    expect(p.got).toHaveLength(1);
    const g = p.got[0]!;
    expect(g.headers['content-type']).toBe('application/cloudevents+json');
    expect(verify(g.headers, g.body, [SECRET]).id).toBe(ev.id);
    expect(() => verify(g.headers, g.body, [generateSecret()])).toThrow();
    expect(JSON.parse(g.body)).toMatchObject({
      specversion: '1.0',
      id: ev.id,
      type: 'io.kubescape.vulnscan.completed',
      subject: 'nginx',
      data: { image: 'nginx:1.25' },
    });
  });

  it('a provider failing twice then succeeding gets the same webhook-id three times', async () => {
    const p = await provider([503, 429, 200], { 'retry-after': '0' });
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET },
      ...fast,
    });
    const ev = event();
    await fn.handle(ev, ctx());
    expect(p.got.map((g) => g.headers['webhook-id'])).toEqual([ev.id, ev.id, ev.id]);
    for (const g of p.got) expect(verify(g.headers, g.body, [SECRET]).id).toBe(ev.id);
  });

  it('4xx (other than 408/429) is a PermanentError after one attempt', async () => {
    const p = await provider([422]);
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET },
      ...fast,
    });
    await expect(fn.handle(event(), ctx())).rejects.toBeInstanceOf(PermanentError);
    expect(p.got).toHaveLength(1);
  });

  it('gives up with TransientError when the budget is spent (Retry-After beyond it)', async () => {
    const p = await provider([503], { 'retry-after': '3600' });
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_EXPORT_BUDGET: '1s' },
      ...fast,
    });
    await expect(fn.handle(event(), ctx())).rejects.toBeInstanceOf(TransientError);
    expect(p.got).toHaveLength(1);
  });

  it('without KSCAPE_PROVIDER_URL events are acknowledged and skipped; kinds filter; a URL needs a secret', async () => {
    await expect(createExportFunction({ env: {} }).handle(event(), ctx())).resolves.toBeUndefined();
    const p = await provider([204]);
    const onlyConfig = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_EXPORT_KINDS: 'configscan' },
    });
    await onlyConfig.handle(event(), ctx());
    expect(p.got).toHaveLength(0);
    expect(() => createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url } })).toThrow(
      /KSCAPE_PROVIDER_SECRET/,
    );
    expect(() =>
      createExportFunction({ env: { KSCAPE_PROVIDER_URL: 'ftp://x', KSCAPE_PROVIDER_SECRET: SECRET } }),
    ).toThrow(/KSCAPE_PROVIDER_URL/);
    expect(() =>
      createExportFunction({
        env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_EXPORT_KINDS: 'bogus' },
      }),
    ).toThrow(/KSCAPE_EXPORT_KINDS/);
  });

  it('signs with every configured secret (rotation): either secret alone verifies', async () => {
    const p = await provider([204]);
    const next = generateSecret();
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: `${SECRET},${next}` },
      ...fast,
    });
    await fn.handle(event(), ctx());
    const g = p.got[0]!;
    expect(String(g.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(g.headers, g.body, [SECRET]).secretIndex).toBe(0);
    expect(verify(g.headers, g.body, [next]).secretIndex).toBe(0);
  });

  it('delivers the cluster inventory as a CloudEvent', async () => {
    const p = await provider([204]);
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET },
      ...fast,
    });
    const ev = inventoryEvent();
    await fn.handle(ev, ctx());
    expect(JSON.parse(p.got[0]!.body)).toMatchObject({
      type: 'io.kubescape.cluster.inventoried',
      data: { clusterName: 'kscape', nodes: [{ name: 'node-1' }], images: [{ image: 'nginx:1.25' }] },
    });
  });

  it('per-provider rate limit: waits for a token within the budget, else 429 back to the broker', async () => {
    let t = 1_000_000;
    const waits: number[] = [];
    const clock = { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)) };
    const p = await provider([204]);
    const fn = createExportFunction({
      env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_PROVIDER_RATE_LIMIT: '2' },
      ...fast,
      ...clock,
    });
    for (let i = 0; i < 3; i++) await fn.handle(event(), ctx());
    expect(p.got).toHaveLength(3);
    expect(waits).toEqual([500]);
    const tight = createExportFunction({
      env: {
        KSCAPE_PROVIDER_URL: p.url,
        KSCAPE_PROVIDER_SECRET: SECRET,
        KSCAPE_PROVIDER_RATE_LIMIT: '0.01',
        KSCAPE_EXPORT_BUDGET: '1s',
      },
      ...fast,
      ...clock,
    });
    await tight.handle(event(), ctx());
    const err = await tight.handle(event(), ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBeGreaterThan(1);
  });
});

describe('export function, kubescape format', () => {
  const ACCESS_KEY = 'ak-123';
  const env = (url: string, extra: Record<string, string> = {}) => ({
    KSCAPE_PROVIDER_URL: `${url.replace(/\/ingest$/, '')}/`,
    KSCAPE_PROVIDER_SECRET: SECRET,
    KSCAPE_PROVIDER_FORMAT: 'kubescape',
    KSCAPE_PROVIDER_ACCOUNT: 'acct-1',
    KSCAPE_PROVIDER_ACCESS_KEY: ACCESS_KEY,
    KSCAPE_CLUSTER_NAME: 'prod',
    ...extra,
  });

  it('posture report: results read from storage-api, raw objects from the cluster, chunked resources-then-results', async () => {
    const p = await provider([204]);
    const src = new FakeResults();
    const fn = createExportFunction({
      env: env(p.url, { KSCAPE_EXPORT_POSTURE_CHUNK: '1500' }),
      results: src,
      ...fast,
    });
    const ev = postureEvent(6);
    await fn.handle(ev, ctx());
    expect(p.got.length).toBeGreaterThan(2);
    const bodies = p.got.map((g) => JSON.parse(g.body) as Record<string, unknown>);
    p.got.forEach((g, i) => {
      const u = new URL(g.url, 'http://x');
      expect(u.pathname).toBe('/k8s/v2/postureReport');
      expect(Object.fromEntries(u.searchParams)).toEqual({
        customerGUID: 'acct-1',
        contextName: 'prod',
        clusterName: 'prod',
        reportGUID: bodies[0]!.reportGUID,
      });
      expect(g.headers['x-api-key']).toBe(ACCESS_KEY);
      expect(g.headers['content-type']).toBe('application/json');
      expect(verify(g.headers, g.body, [SECRET]).id).toBe(`${ev.id}.${i}`);
      expect(bodies[i]!.paginationInfo).toEqual({ chunkNumber: i, isLastChunk: i === p.got.length - 1 });
      expect(bodies[i]).toMatchObject({
        customerGUID: 'acct-1',
        clusterName: 'prod',
        jobID: 'scan-1',
        metadata: { clusterMetadata: { numberOfWorkerNodes: 3, contextName: 'prod' } },
      });
    });
    const resources = bodies.flatMap(
      (b) => b.resources as { resourceID: string; object: { kind: string } }[],
    );
    const results = bodies.flatMap(
      (b) =>
        b.results as {
          resourceID: string;
          controls: {
            controlID: string;
            status: { status: string };
            rules: { status: string; paths?: unknown[] }[];
          }[];
        }[],
    );
    expect(resources.map((r) => r.resourceID)).toEqual(
      Array.from({ length: 6 }, (_, i) => `apps/v1/default/Deployment/app-${i}`),
    );
    expect(resources[0]!.object.kind).toBe('Deployment');
    expect(results).toHaveLength(6);
    expect(results[0]!.controls[0]).toEqual({
      controlID: 'C-0017',
      name: 'Immutable container filesystem',
      status: { status: 'failed' },
      rules: [
        {
          name: 'immutable-container-filesystem',
          status: 'failed',
          paths: [
            {
              fixPath: {
                path: 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
                value: 'true',
              },
            },
          ],
        },
      ],
    });
    // every resource precedes every result in chunk order
    const order = bodies
      .flatMap((b) => [
        ...(b.resources as unknown[]).map(() => 'r'),
        ...(b.results as unknown[]).map(() => 's'),
      ])
      .join('');
    expect(order).toMatch(/^r+s+$/);
    expect(bodies[0]!.summaryDetails).toMatchObject({
      complianceScore: 80,
      frameworks: [{ name: 'NSA', complianceScore: 80, score: 20 }],
      controls: { 'C-0017': { status: 'failed', resourceCounters: { failedResources: 6 } } },
      controlsSeverityCounters: { lowSeverity: 1 },
      resourceCounters: { failedResources: 6, passedResources: 0 },
    });
    // redelivery: byte-identical chunks, nothing resent that the provider acknowledged
    await fn.handle(ev, ctx());
    expect(p.got).toHaveLength(bodies.length);
  });

  it('a failing chunk hands the event back; the redelivery resends only what was not acknowledged', async () => {
    const p = await provider([204, 503, 204]);
    const fn = createExportFunction({
      env: env(p.url, { KSCAPE_EXPORT_POSTURE_CHUNK: '1500', KSCAPE_EXPORT_BUDGET: '100ms' }),
      results: new FakeResults(),
      baseDelayMs: 1000,
      maxDelayMs: 1000,
      // no jitter: the 1 s backoff never fits the 100 ms budget
      random: () => 1,
    });
    const ev = postureEvent(4);
    const first = await fn.handle(ev, ctx()).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TransientError);
    expect(p.got.map((g) => g.headers['webhook-id'])).toEqual([`${ev.id}.0`, `${ev.id}.1`]);
    await fn.handle(ev, ctx());
    const ids = p.got.map((g) => g.headers['webhook-id']);
    expect(ids.slice(0, 3)).toEqual([`${ev.id}.0`, `${ev.id}.1`, `${ev.id}.1`]);
    expect(ids.filter((id) => id === `${ev.id}.0`)).toHaveLength(1);
  });

  it('container scan report: vulnerabilities from the VulnerabilityManifest, ~30 kB chunks, summary in the first', async () => {
    const p = await provider([204]);
    const src = new FakeResults();
    const fn = createExportFunction({
      env: env(p.url, { KSCAPE_EXPORT_VULN_CHUNK: '2000' }),
      results: src,
      ...fast,
    });
    const ev = vulnEvent();
    await fn.handle(ev, ctx());
    expect(p.got.length).toBeGreaterThan(1);
    const bodies = p.got.map((g) => JSON.parse(g.body) as Record<string, unknown>);
    for (const g of p.got)
      expect(new URL(g.url, 'http://x').pathname + new URL(g.url, 'http://x').search).toBe(
        '/k8s/v2/containerScan?customerGUID=acct-1',
      );
    expect(bodies[0]!.summary).toMatchObject({
      customerGUID: 'acct-1',
      clusterName: 'prod',
      imageTag: 'nginx:1.25',
      imageID: DIGEST,
      status: 'Success',
      severitiesStats: expect.arrayContaining([{ severity: 'Critical', total: 1 }]),
    });
    expect(bodies.slice(1).every((b) => b.summary === undefined)).toBe(true);
    expect(bodies.every((b) => b.containersScanID === bodies[0]!.containersScanID)).toBe(true);
    expect(bodies.at(-1)!.paginationInfo).toEqual({ chunkNumber: bodies.length - 1, isLastChunk: true });
    const vulns = bodies.flatMap((b) => b.vulnerabilities as Record<string, unknown>[]);
    expect(vulns).toHaveLength(20);
    expect(vulns[0]).toMatchObject({
      name: 'CVE-2024-0',
      packageName: 'openssl',
      packageVersion: '3.0.0',
      severity: 'Critical',
      severityScore: 500,
      isFixed: 1,
      fixedIn: [{ name: 'openssl', version: '3.0.1' }],
    });
  });

  it('cluster inventory goes to /k8s/cluster-reports with nodes, namespaces, workloads and images', async () => {
    const p = await provider([204]);
    const fn = createExportFunction({ env: env(p.url), results: new FakeResults(), ...fast });
    const ev = inventoryEvent();
    await fn.handle(ev, ctx());
    expect(p.got).toHaveLength(1);
    const g = p.got[0]!;
    expect(g.url).toBe('/k8s/cluster-reports?customerGUID=acct-1&clusterName=kscape');
    expect(verify(g.headers, g.body, [SECRET]).id).toBe(`${ev.id}.0`);
    expect(JSON.parse(g.body)).toMatchObject({
      customerGUID: 'acct-1',
      clusterName: 'kscape',
      nodes: [{ name: 'node-1' }],
      namespaces: ['default', 'kube-system'],
      workloads: [{ kind: 'Deployment', name: 'web' }],
      images: [{ image: 'nginx:1.25' }],
      paginationInfo: { chunkNumber: 0, isLastChunk: true },
    });
  });
});

const DIGEST = `sha256:${'a'.repeat(64)}`;

const inventoryEvent = (): IncomingEvent => {
  const data = {
    clusterName: 'kscape',
    collectedAt: '2026-11-27T01:00:00.000Z',
    nodes: [{ name: 'node-1', kubeletVersion: 'v1.30.0' }],
    namespaces: ['default', 'kube-system'],
    workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' }],
    images: [{ image: 'nginx:1.25' }],
  };
  const ev = buildEvent(EVENT_TYPES.clusterInventoried, data, { source: '/kscape/schedule' });
  return {
    id: ev.id,
    source: ev.source,
    type: EVENT_TYPES.clusterInventoried,
    time: ev.time!,
    data,
    extensions: {},
  } as IncomingEvent;
};

const postureEvent = (n: number): IncomingEvent => {
  const data = {
    scanId: 'scan-1',
    frameworks: [{ name: 'NSA', complianceScore: 80, riskScore: 20 }],
    counts: { resources: n, passed: 0, failed: n, skipped: 0, excluded: 0 },
    results: Array.from({ length: n }, (_, i) => ({
      apiVersion: 'spdx.softwarecomposition.kubescape.io/v1beta1',
      kind: 'WorkloadConfigurationScan',
      namespace: 'default',
      name: `apps-v1-deployment-app-${i}`,
    })),
  };
  const ev = buildEvent(EVENT_TYPES.configScanCompleted, data, { source: '/kscape/scan', subject: 'scan-1' });
  return {
    id: ev.id,
    source: ev.source,
    type: EVENT_TYPES.configScanCompleted,
    time: ev.time!,
    data,
    extensions: {},
  } as IncomingEvent;
};

const vulnEvent = (): IncomingEvent => {
  const data = {
    image: 'nginx:1.25',
    digest: DIGEST,
    manifest: {
      apiVersion: 'spdx.softwarecomposition.kubescape.io/v1beta1',
      kind: 'VulnerabilityManifest',
      namespace: 'kubescape',
      name: 'nginx-1-25-aaaa',
    },
    summaries: [],
    severities: { critical: 1, high: 19, medium: 0, low: 0, negligible: 0, unknown: 0 },
    status: 'ready' as const,
  };
  const ev = buildEvent(EVENT_TYPES.vulnScanCompleted, data, { source: '/kscape/vuln', subject: DIGEST });
  return {
    id: ev.id,
    source: ev.source,
    type: EVENT_TYPES.vulnScanCompleted,
    time: ev.time!,
    data,
    extensions: {},
  } as IncomingEvent;
};

/** storage-api and the cluster as the kubescape format reads them. */
class FakeResults implements ResultSource {
  async get(key: ObjectKey): Promise<Record<string, unknown> | undefined> {
    if (key.kind === 'WorkloadConfigurationScan') {
      const i = key.name.split('-').at(-1)!;
      return {
        metadata: {
          name: key.name,
          namespace: key.namespace,
          labels: {
            'kubescape.io/workload-api-group': 'apps',
            'kubescape.io/workload-api-version': 'v1',
            'kubescape.io/workload-kind': 'Deployment',
            'kubescape.io/workload-name': `app-${i}`,
            'kubescape.io/workload-namespace': 'default',
          },
        },
        spec: {
          controls: {
            'C-0017': {
              controlID: 'C-0017',
              name: 'Immutable container filesystem',
              severity: { severity: 'Low', scoreFactor: 3 },
              status: { status: 'failed' },
              rules: [
                {
                  name: 'immutable-container-filesystem',
                  status: { status: 'failed' },
                  paths: [
                    {
                      fixPath: 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
                      fixPathValue: 'true',
                    },
                  ],
                },
              ],
            },
          },
        },
      };
    }
    if (key.kind === 'Deployment')
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: key.name, namespace: key.namespace },
        spec: { replicas: 1, padding: 'x'.repeat(200) },
      };
    if (key.kind === 'VulnerabilityManifest') {
      return {
        spec: {
          payload: {
            matches: Array.from({ length: 20 }, (_, i) => ({
              vulnerability: {
                id: `CVE-2024-${i}`,
                severity: i === 0 ? 'Critical' : 'High',
                description: 'd'.repeat(100),
                dataSource: `https://nvd.nist.gov/vuln/detail/CVE-2024-${i}`,
                fix: { versions: ['3.0.1'], state: 'fixed' },
              },
              artifact: { name: 'openssl', version: '3.0.0', type: 'deb' },
            })),
          },
        },
      };
    }
    return undefined;
  }
  async countNodes(): Promise<number> {
    return 3;
  }
}

describe('shortText', () => {
  it('reads at most the limit of a provider answer and stops reading the stream', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        pulled++;
        ctrl.enqueue(new Uint8Array(100).fill(97));
        if (pulled > 10_000) ctrl.close();
      },
    });
    expect(await shortText(new Response(body, { status: 500 }), 256)).toBe('a'.repeat(256));
    expect(pulled).toBeLessThan(10);
    expect(await shortText(new Response(null, { status: 204 }))).toBe('');
  });
});
