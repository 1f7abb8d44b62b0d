import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEvent, EVENT_TYPES, FUNCTION_ROUTES } from '../../lib/events/index.js';
import { logger } from '../../lib/log/index.js';
import { generateSecret, verify } from '../../lib/webhooks/index.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../runtime/types.js';
import { createExportFunction } from './index.js';

interface Got {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local provider answering with the given statuses in order (the last one repeats). */
async function provider(statuses: number[], extraHeaders: Record<string, string> = {}): Promise<{ url: string; got: Got[] }> {
  const got: Got[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      res.writeHead(status, status >= 300 ? extraHeaders : {}).end(status >= 300 ? 'nope' : '');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as { port: number }).port}/ingest`, got };
}

const ctx = (): FunctionContext => ({ log: logger('export-test'), signal: new AbortController().signal, source: '/kscape/export', emit: async () => undefined });

const event = (): IncomingEvent => {
  const ev = buildEvent(
    EVENT_TYPES.vulnScanCompleted,
    { image: 'nginx:1.25', severities: { critical: 1, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 } },
    { source: '/kscape/vuln', subject: 'nginx' },
  );
  return { id: ev.id, source: ev.source, type: EVENT_TYPES.vulnScanCompleted, subject: 'nginx', time: ev.time!, data: ev.data!, extensions: {} } as IncomingEvent;
};

const SECRET = generateSecret();
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

describe('export function', () => {
  it('consumes exactly its route', () => {
    expect(createExportFunction({ env: {} }).consumes).toEqual(FUNCTION_ROUTES.export.consumes);
  });

  it('delivers a signed structured CloudEvent that verifies with lib/webhooks', async () => {
    const p = await provider([204]);
    const fn = createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET }, ...fast });
    const ev = event();
    await fn.handle(ev, ctx());
    expect(p.got).toHaveLength(1);
    const g = p.got[0]!;
    expect(g.headers['content-type']).toBe('application/cloudevents+json');
    expect(verify(g.headers, g.body, [SECRET]).id).toBe(ev.id);
    expect(() => verify(g.headers, g.body, [generateSecret()])).toThrow();
    expect(JSON.parse(g.body)).toMatchObject({ specversion: '1.0', id: ev.id, type: 'io.kubescape.vulnscan.completed', subject: 'nginx', data: { image: 'nginx:1.25' } });
  });

  it('a provider failing twice then succeeding gets the same webhook-id three times', async () => {
    const p = await provider([503, 429, 200], { 'retry-after': '0' });
    const fn = createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET }, ...fast });
    const ev = event();
    await fn.handle(ev, ctx());
    expect(p.got.map((g) => g.headers['webhook-id'])).toEqual([ev.id, ev.id, ev.id]);
    for (const g of p.got) expect(verify(g.headers, g.body, [SECRET]).id).toBe(ev.id);
  });

  it('4xx (other than 408/429) is a PermanentError after one attempt', async () => {
    const p = await provider([422]);
    const fn = createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET }, ...fast });
    await expect(fn.handle(event(), ctx())).rejects.toBeInstanceOf(PermanentError);
    expect(p.got).toHaveLength(1);
  });

  it('gives up with TransientError when the budget is spent (Retry-After beyond it)', async () => {
    const p = await provider([503], { 'retry-after': '3600' });
    const fn = createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_EXPORT_BUDGET: '1s' }, ...fast });
    await expect(fn.handle(event(), ctx())).rejects.toBeInstanceOf(TransientError);
    expect(p.got).toHaveLength(1);
  });

  it('without KSCAPE_PROVIDER_URL events are acknowledged and skipped; kinds filter; kubescape format not implemented', async () => {
    await expect(createExportFunction({ env: {} }).handle(event(), ctx())).resolves.toBeUndefined();
    const p = await provider([204]);
    const onlyConfig = createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_EXPORT_KINDS: 'configscan' } });
    await onlyConfig.handle(event(), ctx());
    expect(p.got).toHaveLength(0);
    const ks = createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url, KSCAPE_PROVIDER_SECRET: SECRET, KSCAPE_PROVIDER_FORMAT: 'kubescape' } });
    await expect(ks.handle(event(), ctx())).rejects.toThrow(/not implemented/);
    expect(() => createExportFunction({ env: { KSCAPE_PROVIDER_URL: p.url } })).toThrow(/KSCAPE_PROVIDER_SECRET/);
  });
});
