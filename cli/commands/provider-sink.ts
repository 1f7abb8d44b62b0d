/**
 * `kscape provider-sink`: a local stand-in for a provider, for docs and dev mode. It listens (by
 * default on 127.0.0.1:8090), verifies Standard Webhooks signatures, dedupes by webhook-id (a
 * redelivery is printed as a duplicate), and prints one line per delivery: id, type, timestamp,
 * verified, bytes, and a short body summary (for a result chunk: subject, chunk n/N, items).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSecrets, verify, WebhookVerificationError } from '../../lib/webhooks/index.js';
import { UsageError } from '../errors.js';

export interface Delivery {
  id: string | undefined;
  type: string | undefined;
  timestamp: string | undefined;
  verified: boolean;
  reason?: string;
  duplicate: boolean;
  bytes: number;
  /** Request path and query (the kubescape format posts to /k8s/v2/... with customerGUID). */
  path: string;
  /** X-API-KEY was sent (its value is never printed). */
  apiKey: boolean;
  summary: string;
}

export interface ProviderSinkOptions {
  port?: number;
  host?: string;
  /** whsec_ secret(s), comma-separated; unset: nothing verifies (deliveries are printed as unverified and answered 401). */
  secret?: string | undefined;
  /** Where lines go (default stdout). */
  print?: (line: string) => void;
  maxBodyBytes?: number;
}

export interface ProviderSink {
  url: string;
  port: number;
  deliveries: Delivery[];
  close(): Promise<void>;
}

const readAll = (req: IncomingMessage, limit: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** Elements in the arrays of a result chunk's data (and of its `spdx` part, for SBOM chunks). */
function itemCount(data: Record<string, unknown>): number {
  let n = 0;
  for (const part of [data, data.spdx])
    if (typeof part === 'object' && part !== null)
      for (const v of Object.values(part)) if (Array.isArray(v)) n += v.length;
  return n;
}

/**
 * A one-line summary: for a CloudEvent its subject and the top-level keys of its data, or, for a
 * result chunk of the cloudevents format (data.chunk/data.chunks), its subject, `chunk=<n+1>/<N>`
 * and the number of items it carries; for a Kubescape report chunk its number and whether it is
 * the last.
 */
export function summarize(
  body: Buffer,
  contentType: string | undefined,
): { type: string | undefined; summary: string } {
  const text = body.toString('utf8');
  if (!contentType?.includes('json'))
    return { type: undefined, summary: `${body.length} bytes ${contentType ?? ''}`.trim() };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return { type: undefined, summary: text.slice(0, 80) };
    const o = v as Record<string, unknown>;
    const page = o.paginationInfo as { chunkNumber?: unknown; isLastChunk?: unknown } | undefined;
    if (typeof page === 'object' && page !== null && typeof page.chunkNumber === 'number') {
      return { type: undefined, summary: `chunk=${page.chunkNumber} last=${page.isLastChunk === true}` };
    }
    const type = typeof o.type === 'string' ? o.type : undefined;
    const data = typeof o.data === 'object' && o.data !== null ? (o.data as Record<string, unknown>) : o;
    const subject = typeof o.subject === 'string' ? ` subject=${o.subject.slice(0, 200)}` : '';
    if (typeof data.chunk === 'number' && typeof data.chunks === 'number')
      return {
        type,
        summary: `${subject.trim()}${subject ? ' ' : ''}chunk=${data.chunk + 1}/${data.chunks} items=${itemCount(data)}`,
      };
    const keys = Object.keys(data).slice(0, 8);
    return { type, summary: `${subject.trim()}${subject ? ' ' : ''}keys=[${keys.join(',')}]` };
  } catch {
    return { type: undefined, summary: `invalid JSON: ${text.slice(0, 60)}` };
  }
}

export async function startProviderSink(opts: ProviderSinkOptions = {}): Promise<ProviderSink> {
  const secrets = parseSecrets(opts.secret);
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const limit = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const seen = new Set<string>();
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const body = await readAll(req, limit);
      if (!body) {
        print(`! rejected: body over ${limit} bytes`);
        res.writeHead(413, { connection: 'close' }).end();
        return;
      }
      const h = (n: string): string | undefined => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      };
      let verified = false;
      let reason: string | undefined;
      try {
        if (secrets.length === 0)
          throw new WebhookVerificationError('no-matching-signature', 'no --secret configured');
        verify(req.headers, body, secrets);
        verified = true;
      } catch (e) {
        if (!(e instanceof WebhookVerificationError)) throw e;
        reason = e.message;
      }
      const id = h('webhook-id');
      const s = summarize(body, h('content-type'));
      const duplicate = verified && id !== undefined && seen.has(id);
      if (verified && id !== undefined) seen.add(id);
      const d: Delivery = {
        id,
        type: h('ce-type') ?? s.type,
        timestamp: h('webhook-timestamp'),
        verified,
        ...(reason ? { reason } : {}),
        duplicate,
        bytes: body.length,
        path: (req.url ?? '/').slice(0, 512),
        apiKey: h('x-api-key') !== undefined,
        summary: s.summary,
      };
      deliveries.push(d);
      const when =
        d.timestamp && /^\d+$/.test(d.timestamp)
          ? new Date(Number(d.timestamp) * 1000).toISOString()
          : (d.timestamp ?? '-');
      print(
        `${duplicate ? 'DUPLICATE ' : ''}id=${id ?? '-'} type=${d.type ?? '-'} timestamp=${when} verified=${verified}${reason ? ` (${reason})` : ''} bytes=${d.bytes}${d.path !== '/' ? ` path=${d.path}` : ''}${d.apiKey ? ' api-key=yes' : ''} ${d.summary}`,
      );
      res.writeHead(verified ? (duplicate ? 200 : 204) : 401).end();
    })().catch((e: unknown) => {
      print(`! error: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const port = opts.port ?? 8090;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url,
    port: addr.port,
    deliveries,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** CLI entry: `kscape provider-sink [--port 8090] [--host 127.0.0.1] [--secret whsec_...]`. */
export async function runProviderSink(opts: {
  port?: string;
  host?: string;
  secret?: string;
}): Promise<void> {
  const port = opts.port === undefined ? 8090 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got ${JSON.stringify(opts.port)}`);
  const secret = opts.secret ?? process.env.KSCAPE_PROVIDER_SECRET;
  let sink: ProviderSink;
  try {
    sink = await startProviderSink({ port, host: opts.host ?? '127.0.0.1', secret });
  } catch (e) {
    if (e instanceof WebhookVerificationError) throw new UsageError(`--secret: ${e.message}`);
    throw e;
  }
  process.stderr.write(
    `provider-sink listening on ${sink.url}${secret ? '' : ' (no secret: deliveries are shown as unverified and answered 401)'}; set KSCAPE_PROVIDER_URL=${sink.url}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void sink.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
