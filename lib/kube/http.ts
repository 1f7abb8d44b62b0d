/**
 * A minimal JSON client for the Kubernetes API (used by every function): a KubeAccess (access.ts:
 * the pod's service account, or client-node's KubeConfig for a kubeconfig file) resolves the
 * cluster, TLS material and credentials through `applyToHTTPSOptions`; requests go through node's
 * http/https with a keep-alive agent.
 *
 * Why not the generated client-node APIs: the scan needs arbitrary kinds by group/version/plural
 * (core and named groups), metadata-only lists (`Accept: ...;as=PartialObjectMetadataList`) and raw
 * JSON objects (the generated models deserialise into classes with Date fields and drop unknown
 * fields, which the posture rules must see).
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeAccess } from './access.js';

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface KubeRequestOptions {
  body?: unknown;
  accept?: string;
  contentType?: string;
  signal?: AbortSignal;
}

export interface KubeHttp {
  request(method: string, path: string, opts?: KubeRequestOptions): Promise<KubeResponse>;
}

/** Non-2xx answer of the API server (the body is the Status when there is one). */
export class KubeStatusError extends Error {
  override name = 'KubeStatusError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const msg =
      typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : '';
    super(`${method} ${path}: HTTP ${status}${msg ? `: ${msg}` : ''}`);
  }
}

/**
 * `access` may be a loader (e.g. loadKubeAccess): it runs on the first request, so a function that
 * has not yet called the API has not paid for reading its configuration.
 */
export function kubeHttp(
  access: KubeAccess | (() => Promise<KubeAccess>),
  opts: { timeoutMs?: number; userAgent?: string } = {},
): KubeHttp {
  let resolved: Promise<KubeAccess> | undefined =
    typeof access === 'function' ? undefined : Promise.resolve(access);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  // Shown in the API server's audit log: which component made the call.
  const userAgent = opts.userAgent ?? `kscape/${process.env.K_SERVICE ?? 'cli'}`;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let httpsAgent: https.Agent | undefined;
  return {
    async request(method, path, o = {}) {
      if (!resolved) {
        // A failed load (unreadable kubeconfig) is retried on the next request, not cached.
        resolved = (access as () => Promise<KubeAccess>)();
        resolved.catch(() => (resolved = undefined));
      }
      const kc = await resolved;
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('the kubeconfig has no current cluster');
      const url = new URL(cluster.server.replace(/\/+$/, '') + path);
      const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
      const ro: https.RequestOptions = {
        method,
        headers: {
          accept: o.accept ?? 'application/json',
          'user-agent': userAgent,
          ...(payload
            ? {
                'content-type': o.contentType ?? 'application/json',
                'content-length': String(payload.length),
              }
            : {}),
        },
      };
      await kc.applyToHTTPSOptions(ro);
      if (url.protocol === 'https:') {
        if (!cluster.proxyUrl) {
          httpsAgent ??= new https.Agent({
            keepAlive: true,
            maxSockets: 32,
            ...(ro.ca ? { ca: ro.ca } : {}),
            ...(ro.cert ? { cert: ro.cert } : {}),
            ...(ro.key ? { key: ro.key } : {}),
            ...(ro.pfx ? { pfx: ro.pfx } : {}),
            ...(ro.servername ? { servername: ro.servername } : {}),
            ...(ro.rejectUnauthorized !== undefined ? { rejectUnauthorized: ro.rejectUnauthorized } : {}),
          });
          ro.agent = httpsAgent;
        }
      } else if (!ro.agent) ro.agent = httpAgent;
      const transport = url.protocol === 'http:' ? http : https;
      return await new Promise<KubeResponse>((resolve, reject) => {
        const req = transport.request(url, { ...ro, ...(o.signal ? { signal: o.signal } : {}) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              // Non-JSON error pages (proxies) stay text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.setTimeout(timeoutMs, () =>
          req.destroy(new Error(`${method} ${path}: timeout after ${timeoutMs} ms`)),
        );
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    },
  };
}

/** GET/PUT... that throws KubeStatusError on non-2xx. */
export async function kubeJson(
  client: KubeHttp,
  method: string,
  path: string,
  opts?: KubeRequestOptions,
): Promise<unknown> {
  const r = await client.request(method, path, opts);
  if (r.status < 200 || r.status >= 300) throw new KubeStatusError(method, path, r.status, r.body);
  return r.body;
}
