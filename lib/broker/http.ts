/**
 * Outgoing HTTP for deliveries, with the limits a broker needs: a per-request deadline, a cap on the
 * response body we buffer (replies and dead-letter diagnostics only), a shared keep-alive agent
 * whose socket count is bounded, and abort on shutdown.
 */
import http from 'node:http';
import https from 'node:https';
import type { HttpMessage } from './codec.js';

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The body was longer than the limit and was cut. */
  readonly truncated: boolean;
}

export class NetworkError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

export interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

export function createAgents(maxSockets: number): Agents {
  const opts = { keepAlive: true, maxSockets, maxFreeSockets: Math.min(maxSockets, 16) };
  return { http: new http.Agent(opts), https: new https.Agent(opts) };
}

export function postMessage(
  url: string,
  msg: HttpMessage,
  opts: {
    agents: Agents;
    timeoutMs: number;
    signal: AbortSignal;
    maxResponseBytes: number;
    extraHeaders?: Record<string, string>;
  },
): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = AbortSignal.any([opts.signal, timeout]);
    if (signal.aborted) {
      reject(
        new NetworkError(
          timeout.aborted ? `timed out after ${opts.timeoutMs}ms` : 'aborted',
          timeout.aborted,
        ),
      );
      return;
    }
    const req = (isHttps ? https : http).request(
      u,
      {
        method: 'POST',
        agent: isHttps ? opts.agents.https : opts.agents.http,
        headers: { ...msg.headers, ...(opts.extraHeaders ?? {}), 'content-length': String(msg.body.length) },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (c: Buffer) => {
          if (truncated) return;
          if (size + c.length > opts.maxResponseBytes) {
            chunks.push(c.subarray(0, opts.maxResponseBytes - size));
            size = opts.maxResponseBytes;
            truncated = true;
            // Stop reading: we will not use more, and the socket is not reusable mid-body.
            res.destroy();
            finish();
            return;
          }
          chunks.push(c);
          size += c.length;
        });
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks), truncated });
        };
        res.on('end', finish);
        res.on('error', (e) => {
          if (truncated) return;
          done = true;
          reject(new NetworkError(`response error: ${e.message}`, timeout.aborted, { cause: e }));
        });
      },
    );
    req.on('error', (e) => {
      const timedOut = timeout.aborted;
      reject(
        new NetworkError(timedOut ? `timed out after ${opts.timeoutMs}ms` : e.message, timedOut, {
          cause: e,
        }),
      );
    });
    req.end(msg.body);
  });
}

/** Retry-After as delta-seconds or HTTP-date, in ms from now; undefined if absent or invalid. */
export function parseRetryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}
