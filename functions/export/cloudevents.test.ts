import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEvent, EVENT_TYPES } from '../../lib/events/index.js';
import { logger } from '../../lib/log/index.js';
import { generateSecret, verify } from '../../lib/webhooks/index.js';
import { TransientError } from '../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../runtime/types.js';
import { chunkedExport, EXPORT_EVENT_TYPES, ExportBudgetError } from './cloudevents.js';
import { createExportFunction } from './index.js';
import type { ObjectKey, ResultSource } from './results.js';

type Obj = Record<string, unknown>;
interface Got {
  headers: IncomingHttpHeaders;
  body: string;
}
interface Chunk {
  id: string;
  type: string;
  subject: string;
  data: Obj & { chunk: number; chunks: number };
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A provider answering with `statuses` in order (the last one repeats). */
async function provider(statuses: number[]): Promise<{ url: string; got: Got[] }> {
  const got: Got[] = [];
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      res.writeHead(statuses[Math.min(got.length - 1, statuses.length - 1)]!).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as { port: number }).port}/hooks`, got };
}

const ctx = (): FunctionContext => ({
  log: logger('export-test'),
  signal: new AbortController().signal,
  source: '/kscape/export',
  emit: async () => undefined,
});
const SECRET = generateSecret();
const GROUP = 'spdx.softwarecomposition.kubescape.io/v1beta1';
const DIGEST = `sha256:${'a'.repeat(64)}`;

const incoming = (type: string, data: Obj, subject: string): IncomingEvent => {
  const ev = buildEvent(type as typeof EVENT_TYPES.configScanCompleted, data as never, {
    source: '/kscape/test',
    subject,
  });
  return {
    id: ev.id,
    source: ev.source,
    type,
    subject,
    time: ev.time!,
    data,
    extensions: {},
  } as IncomingEvent;
};

const postureEvent = (n: number): IncomingEvent =>
  incoming(
    EVENT_TYPES.configScanCompleted,
    {
      scanId: 'scan-7',
      frameworks: [{ name: 'NSA', complianceScore: 80, riskScore: 20 }],
      counts: { resources: n, passed: 0, failed: n, skipped: 0, excluded: 0 },
      results: Array.from({ length: n }, (_, i) => ({
        apiVersion: GROUP,
        kind: 'WorkloadConfigurationScan',
        namespace: 'default',
        name: `apps-v1-deployment-default-app-${i}`,
      })),
    },
    'scan-7',
  );

const vulnEvent = (): IncomingEvent =>
  incoming(
    EVENT_TYPES.vulnScanCompleted,
    {
      image: 'nginx:1.25',
      digest: DIGEST,
      sbom: { apiVersion: GROUP, kind: 'SBOMSPDXv2p3', namespace: 'kubescape', name: 'nginx-1-25-aaaa' },
      manifest: {
        apiVersion: GROUP,
        kind: 'VulnerabilityManifest',
        namespace: 'kubescape',
        name: 'nginx-1-25-aaaa',
      },
      summaries: [
        {
          apiVersion: GROUP,
          kind: 'VulnerabilityManifestSummary',
          namespace: 'default',
          name: 'deployment-web-nginx',
        },
      ],
      severities: { critical: 1, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
      status: 'ready',
    },
    DIGEST,
  );

/** What storage-api holds (each object distinct and big enough to need several chunks). */
class Store implements ResultSource {
  readonly objects = new Map<string, Obj>();
  constructor(resources: number, packages: number) {
    for (let i = 0; i < resources; i++) {
      const name = `apps-v1-deployment-default-app-${i}`;
      const metadata = { name, namespace: 'default', labels: { 'kubescape.io/workload-name': `app-${i}` } };
      this.put({
        apiVersion: GROUP,
        kind: 'WorkloadConfigurationScanSummary',
        metadata,
        spec: {
          severities: { low: 1 },
          controls: { 'C-0017': { controlID: 'C-0017', status: { status: 'failed' } } },
        },
      });
      this.put({
        apiVersion: GROUP,
        kind: 'WorkloadConfigurationScan',
        metadata,
        spec: {
          controls: {
            'C-0017': { controlID: 'C-0017', name: 'x'.repeat(300), status: { status: 'failed' } },
          },
        },
      });
    }
    this.put({
      apiVersion: GROUP,
      kind: 'SBOMSPDXv2p3',
      metadata: {
        name: 'nginx-1-25-aaaa',
        namespace: 'kubescape',
        annotations: { 'kubescape.io/status': 'ready' },
      },
      spec: {
        metadata: { tool: { name: 'syft', version: '0.101.1' } },
        spdx: {
          spdxVersion: 'SPDX-2.3',
          SPDXID: 'SPDXRef-DOCUMENT',
          name: 'nginx:1.25',
          creationInfo: { created: '2026-11-26T09:59:00Z', creators: ['Tool: syft'] },
          documentDescribes: ['SPDXRef-image'],
          packages: Array.from({ length: packages }, (_, i) => ({
            name: `pkg-${i}`,
            SPDXID: `SPDXRef-Package-${i}`,
            versionInfo: `1.${i}.0`,
            description: 'p'.repeat(150),
          })),
          relationships: Array.from({ length: packages }, (_, i) => ({
            spdxElementId: 'SPDXRef-image',
            relationshipType: 'CONTAINS',
            relatedSpdxElement: `SPDXRef-Package-${i}`,
          })),
        },
      },
    });
    this.put({
      apiVersion: GROUP,
      kind: 'VulnerabilityManifest',
      metadata: { name: 'nginx-1-25-aaaa', namespace: 'kubescape' },
      spec: {
        metadata: { withRelevancy: false },
        payload: {
          descriptor: { name: 'kscape' },
          matches: Array.from({ length: 30 }, (_, i) => ({
            vulnerability: { id: `CVE-2024-${i}`, severity: 'High', description: 'd'.repeat(200) },
            artifact: { name: 'openssl', version: '3.0.0' },
          })),
        },
      },
    });
    this.put({
      apiVersion: GROUP,
      kind: 'VulnerabilityManifestSummary',
      metadata: { name: 'deployment-web-nginx', namespace: 'default' },
      spec: { severities: { high: { all: 30, relevant: 0 } } },
    });
  }
  private key(kind: string, namespace: string | undefined, name: string): string {
    return `${kind}/${namespace ?? ''}/${name}`;
  }
  put(o: Obj): void {
    const m = o.metadata as { name: string; namespace?: string };
    this.objects.set(this.key(o.kind as string, m.namespace, m.name), o);
  }
  get(k: ObjectKey): Promise<Obj | undefined> {
    const o = this.objects.get(this.key(k.kind, k.namespace, k.name));
    return Promise.resolve(o ? structuredClone(o) : undefined);
  }
  of(kind: string): Obj[] {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }
  countNodes(): Promise<number> {
    return Promise.resolve(1);
  }
}

const parse = (g: Got): Chunk => JSON.parse(g.body) as Chunk;
const ofType = (got: Got[], type: string): Chunk[] => got.map(parse).filter((c) => c.type === type);

function fn(url: string, store: Store, env: Record<string, string> = {}, extra: Obj = {}) {
  return createExportFunction({
    env: { KSCAPE_PROVIDER_URL: url, KSCAPE_PROVIDER_SECRET: SECRET, ...env },
    results: store,
    baseDelayMs: 1,
    maxDelayMs: 5,
    ...extra,
  });
}

describe('chunkedExport', () => {
  it('keeps every body within the budget, numbers the chunks and leaves out (and counts) an item too large alone', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ i, pad: 'z'.repeat(i * 7) }));
    const huge = { huge: 'h'.repeat(5000) };
    const x = chunkedExport({
      eventId: 'ev-1',
      source: '/s',
      type: 't',
      subject: 'sub',
      time: '2026-01-01T00:00:00Z',
      header: { scanId: 's' },
      first: { doc: { a: 1 } },
      sections: [{ key: 'items', items: [...items.slice(0, 25), huge, ...items.slice(25)] }],
      maxBytes: 2000,
    });
    const bodies = [...x.bodies()];
    expect(bodies.length).toBe(x.chunks);
    expect(x.chunks).toBeGreaterThan(3);
    expect(x.omitted).toBe(1);
    const parsed = bodies.map((b) => JSON.parse(b.body) as Chunk);
    for (const b of bodies) expect(Buffer.byteLength(b.body)).toBeLessThanOrEqual(2000);
    expect(parsed.map((p) => [p.id, p.data.chunk, p.data.chunks, p.data.omitted])).toEqual(
      parsed.map((_, n) => [`ev-1.${n}`, n, x.chunks, 1]),
    );
    expect(parsed.flatMap((p) => p.data.items as unknown[])).toEqual(items);
    expect(parsed[0]!.data.doc).toEqual({ a: 1 });
    expect(parsed.slice(1).every((p) => p.data.doc === undefined)).toBe(true);
  });

  it('a results chunk budget under 1 KiB is a configuration error', () => {
    expect(() =>
      createExportFunction({
        env: {
          KSCAPE_PROVIDER_URL: 'http://x',
          KSCAPE_PROVIDER_SECRET: SECRET,
          KSCAPE_EXPORT_RESULTS_CHUNK: '512',
        },
      }),
    ).toThrow(/KSCAPE_EXPORT_RESULTS_CHUNK/);
  });

  it('refuses a budget that cannot hold a chunk envelope', () => {
    expect(() =>
      chunkedExport({
        eventId: 'e',
        source: '/s',
        type: 't',
        subject: 's',
        time: 't',
        header: { big: 'b'.repeat(500) },
        sections: [{ key: 'items', items: [1] }],
        maxBytes: 300,
      }),
    ).toThrow(ExportBudgetError);
  });
});

describe('export function, cloudevents format: result objects', () => {
  it('posture: the completed event, then the stored summaries (and full scans when configured) in chunks under the budget', async () => {
    const p = await provider([204]);
    const store = new Store(12, 0);
    const f = fn(p.url, store, { KSCAPE_EXPORT_RESULTS_CHUNK: '3000', KSCAPE_EXPORT_POSTURE_FULL: 'true' });
    const ev = postureEvent(12);
    await f.handle(ev, ctx());
    expect(parse(p.got[0]!).type).toBe('io.kubescape.configscan.completed');
    const chunks = ofType(p.got, EXPORT_EVENT_TYPES.postureResults);
    expect(chunks.length).toBe(p.got.length - 1);
    expect(chunks.length).toBeGreaterThan(2);
    p.got.slice(1).forEach((g, n) => {
      expect(Buffer.byteLength(g.body)).toBeLessThanOrEqual(3000);
      expect(g.headers['content-type']).toBe('application/cloudevents+json');
      expect(verify(g.headers, g.body, [SECRET]).id).toBe(`${ev.id}.${n}`);
      expect(parse(g)).toMatchObject({
        id: `${ev.id}.${n}`,
        subject: 'scan-7',
        data: { scanId: 'scan-7', chunk: n, chunks: chunks.length },
      });
    });
    const items = chunks.flatMap((c) => c.data.items as Obj[]);
    const byKind = (k: string) => items.filter((o) => o.kind === k);
    expect(byKind('WorkloadConfigurationScanSummary')).toEqual(store.of('WorkloadConfigurationScanSummary'));
    expect(byKind('WorkloadConfigurationScan')).toEqual(store.of('WorkloadConfigurationScan'));
    expect(items).toHaveLength(24);

    // Without KSCAPE_EXPORT_POSTURE_FULL only the summaries travel.
    const p2got = p.got.length;
    await fn(p.url, store, { KSCAPE_EXPORT_RESULTS_CHUNK: '3000' }).handle(postureEvent(12), ctx());
    const only = ofType(p.got.slice(p2got), EXPORT_EVENT_TYPES.postureResults).flatMap(
      (c) => c.data.items as Obj[],
    );
    expect(only).toEqual(store.of('WorkloadConfigurationScanSummary'));
  });

  it('redelivery after a failed chunk: same webhook-ids, acknowledged chunks are not resent', async () => {
    // completed event ok, chunk 0 ok, chunk 1 fails until the budget is spent, then everything ok
    const p = await provider([204, 204, 503, 204]);
    const store = new Store(12, 0);
    const f = fn(
      p.url,
      store,
      { KSCAPE_EXPORT_RESULTS_CHUNK: '2000', KSCAPE_EXPORT_BUDGET: '100ms' },
      { baseDelayMs: 1000, maxDelayMs: 1000, random: () => 1 },
    );
    const ev = postureEvent(12);
    expect(await f.handle(ev, ctx()).catch((e: unknown) => e)).toBeInstanceOf(TransientError);
    const firstIds = p.got.map((g) => g.headers['webhook-id']);
    expect(firstIds).toEqual([ev.id, `${ev.id}.0`, `${ev.id}.1`]);
    await f.handle(ev, ctx());
    const ids = p.got.map((g) => String(g.headers['webhook-id']));
    const again = ids.slice(3);
    const n = ofType(p.got, EXPORT_EVENT_TYPES.postureResults)[0]!.data.chunks;
    expect(again).toEqual(Array.from({ length: n - 1 }, (_, i) => `${ev.id}.${i + 1}`));
    expect(new Set(ids.filter((id) => id !== `${ev.id}.1`)).size).toBe(ids.length - 2);
    // A second redelivery after success sends nothing.
    await f.handle(ev, ctx());
    expect(p.got).toHaveLength(ids.length);
  });

  it('vulnerabilities and SBOM: manifest, summaries and the SPDX document reassemble from their chunks', async () => {
    const p = await provider([204]);
    const store = new Store(0, 200);
    const f = fn(p.url, store, {
      KSCAPE_EXPORT_KINDS: 'vulnerabilities,sboms',
      KSCAPE_EXPORT_RESULTS_CHUNK: '4Ki',
    });
    const ev = vulnEvent();
    await f.handle(ev, ctx());
    expect(parse(p.got[0]!).type).toBe('io.kubescape.vulnscan.completed');
    for (const g of p.got) {
      expect(Buffer.byteLength(g.body)).toBeLessThanOrEqual(4096);
      expect(verify(g.headers, g.body, [SECRET]).id).toBe(parse(g).id);
    }

    const vul = ofType(p.got, EXPORT_EVENT_TYPES.vulnerabilityResults);
    expect(vul.length).toBeGreaterThan(1);
    expect(vul.map((c) => c.id)).toEqual(vul.map((_, n) => `${ev.id}.${n}`));
    const manifest = structuredClone(vul[0]!.data.manifest) as { spec: { payload: Obj } };
    manifest.spec.payload.matches = vul.flatMap((c) => c.data.matches as unknown[]);
    expect(manifest).toEqual(store.of('VulnerabilityManifest')[0]);
    expect(vul.flatMap((c) => c.data.summaries as unknown[])).toEqual(
      store.of('VulnerabilityManifestSummary'),
    );

    const sbom = ofType(p.got, EXPORT_EVENT_TYPES.sbom);
    expect(sbom.length).toBeGreaterThan(5);
    expect(sbom.map((c) => c.id)).toEqual(sbom.map((_, n) => `${ev.id}.sbom.${n}`));
    expect(sbom.every((c) => c.subject === 'nginx:1.25' && c.data.digest === DIGEST)).toBe(true);
    const first = sbom[0]!.data as unknown as { object: Obj; metadata: Obj; document: Obj };
    const spdx: Obj = { ...first.document };
    for (const c of sbom)
      for (const [k, v] of Object.entries(c.data.spdx as Record<string, unknown[]>))
        spdx[k] = [...((spdx[k] as unknown[] | undefined) ?? []), ...v];
    expect({ ...first.object, spec: { metadata: first.metadata, spdx } }).toEqual(
      store.of('SBOMSPDXv2p3')[0],
    );
  });

  it('the selection switches each part off', async () => {
    const p = await provider([204]);
    const store = new Store(3, 20);
    const types = async (kinds: string, ev: IncomingEvent, format = 'cloudevents'): Promise<string[]> => {
      const from = p.got.length;
      await fn(p.url, store, { KSCAPE_EXPORT_KINDS: kinds, KSCAPE_PROVIDER_FORMAT: format }).handle(
        ev,
        ctx(),
      );
      return [
        ...new Set(
          p.got.slice(from).map((g) => (format === 'kubescape' ? g.body.slice(0, 1) : parse(g).type)),
        ),
      ];
    };
    expect(await types('vulnscan,inventory', postureEvent(3))).toEqual([]);
    expect(await types('posture', postureEvent(3))).toEqual([
      'io.kubescape.configscan.completed',
      EXPORT_EVENT_TYPES.postureResults,
    ]);
    expect(await types('configscan,inventory', vulnEvent())).toEqual([]);
    expect(await types('vulnscan', vulnEvent())).toEqual([
      'io.kubescape.vulnscan.completed',
      EXPORT_EVENT_TYPES.vulnerabilityResults,
    ]);
    // SBOMs alone: only the SBOM chunks (not the completed event, not the vulnerabilities)
    expect(await types('sboms', vulnEvent())).toEqual([EXPORT_EVENT_TYPES.sbom]);
    // kubescape format: vulnscan off → no container-scan report even with sboms on (no SBOM report there)
    expect(await types('sboms,configscan', vulnEvent(), 'kubescape')).toEqual([]);
    expect(await types('vulnscan', vulnEvent(), 'kubescape')).toEqual(['{']);
    expect(await types('inventory', postureEvent(3), 'kubescape')).toEqual([]);
  });
});
