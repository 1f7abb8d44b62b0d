/**
 * The one call delegated authentication and authorization need: POST a JSON review object to
 * kube-apiserver and read the answer, with a hard timeout.
 *
 * Credentials, CA and proxy come from a client-node KubeConfig (`applyToHTTPSOptions` handles
 * in-cluster service-account token rotation, client certificates, exec plugins and proxy-url).
 * We do the HTTP ourselves rather than through the generated AuthenticationV1Api because every
 * API request waits on this call: it needs a deadline (a hung apiserver must turn into a quick
 * 401/403, not a hung request) and a keep-alive connection pool.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface KubeApi {
  /** POST `body` as JSON to `path` (e.g. `/apis/authentication.k8s.io/v1/tokenreviews`). Rejects on transport errors and timeouts. */
  postJson(path: string, body: unknown): Promise<KubeResponse>;
}

export interface KubeApiOptions {
  /** Whole-request deadline in ms. */
  timeoutMs: number;
  /** Largest response accepted; reviews are a few KB. */
  maxResponseBytes?: number;
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

function fingerprint(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p === undefined ? '\0undefined' : Buffer.isBuffer(p) ? p : JSON.stringify(p));
    h.update('\0');
  }
  return h.digest('hex');
}

export function kubeApiFromKubeConfig(kc: KubeConfig, options: KubeApiOptions): KubeApi {
  const maxBytes = options.maxResponseBytes ?? 1 << 20;
  // Keep-alive agents keyed by their TLS material, so a rotated client certificate gets a new pool.
  const agents = new Map<string, https.Agent>();

  return {
    async postJson(path: string, body: unknown): Promise<KubeResponse> {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new KubeApiError('kubeconfig has no current cluster');
      const url = new URL(cluster.server.replace(/\/+$/, '') + path);
      const payload = Buffer.from(JSON.stringify(body));
      const opts: https.RequestOptions = {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': String(payload.length),
          'user-agent': 'kscape-storage-api/auth',
        },
      };
      await kc.applyToHTTPSOptions(opts);
      if (url.protocol === 'https:' && !cluster.proxyUrl) {
        const key = fingerprint(opts.ca, opts.cert, opts.key, opts.pfx, opts.rejectUnauthorized, opts.servername);
        let agent = agents.get(key);
        if (!agent) {
          agent = new https.Agent({
            keepAlive: true,
            maxSockets: 32,
            // Idle pooled sockets close after this; it also retires the pool of a replaced agent.
            timeout: 60_000,
            ...(opts.ca ? { ca: opts.ca } : {}),
            ...(opts.cert ? { cert: opts.cert } : {}),
            ...(opts.key ? { key: opts.key } : {}),
            ...(opts.pfx ? { pfx: opts.pfx } : {}),
            ...(opts.servername ? { servername: opts.servername } : {}),
            ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
          });
          // Credentials rotated: drop the old pool without killing requests still using it; its
          // idle sockets time out on their own.
          agents.clear();
          agents.set(key, agent);
        }
        opts.agent = agent;
      }
      const transport = url.protocol === 'http:' ? http : https;
      return await new Promise<KubeResponse>((resolve, reject) => {
        const req = transport.request(url, opts, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) {
              req.destroy(new KubeApiError(`response from ${url.pathname} exceeds ${maxBytes} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Non-JSON error pages (proxies, load balancers) stay as text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        });
        // A whole-exchange deadline, not an idle timeout: a server that trickles bytes must not
        // hold an API request hostage either.
        const deadline = setTimeout(() => {
          req.destroy(new KubeApiError(`request to ${url.pathname} timed out after ${options.timeoutMs}ms`));
        }, options.timeoutMs);
        req.on('close', () => clearTimeout(deadline));
        req.on('error', reject);
        req.end(payload);
      });
    },
  };
}

/** Short human summary of a non-2xx answer (Status.message when kube sent one). */
export function describeFailure(r: KubeResponse): string {
  const msg =
    typeof r.body === 'object' && r.body !== null && typeof (r.body as { message?: unknown }).message === 'string'
      ? (r.body as { message: string }).message
      : typeof r.body === 'string'
        ? r.body.slice(0, 200)
        : '';
  return `HTTP ${r.status}${msg ? `: ${msg}` : ''}`;
}
