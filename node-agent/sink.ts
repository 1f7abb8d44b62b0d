/**
 * Posting the agent's events to K_SINK over node:http/https. Same contract as the function host's
 * SinkClient (functions/runtime/emit.ts: binary-mode CloudEvents, Knative's retry table mapped to
 * TransientError / RateLimitedError / PermanentError) but without `fetch`: loading undici costs
 * ~16 MiB of RSS, a quarter of the agent's budget on every node (README, Memory).
 */
import http from 'node:http';
import https from 'node:https';
import { encodeBinary, type OutgoingEvent } from '../functions/runtime/cloudevents.js';
import { PermanentError, RateLimitedError, TransientError } from '../functions/runtime/errors.js';

const MAX_ERROR_BODY = 512;

export interface EventSink {
  readonly configured: boolean;
  send(
    ev: OutgoingEvent,
    attrs: Readonly<Record<string, string | undefined>>,
    signal?: AbortSignal,
  ): Promise<void>;
}

export class HttpSink implements EventSink {
  private readonly url: URL | undefined;
  private readonly timeoutMs: number;
  // One keep-alive connection is enough: the agent posts one event at a time.
  private readonly agent: http.Agent | undefined;

  constructor(opts: { url: string | undefined; timeoutMs: number }) {
    this.url = opts.url === undefined ? undefined : new URL(opts.url);
    this.timeoutMs = opts.timeoutMs;
    if (this.url)
      this.agent = new (this.url.protocol === 'https:' ? https.Agent : http.Agent)({
        keepAlive: true,
        maxSockets: 1,
      });
  }

  get configured(): boolean {
    return this.url !== undefined;
  }

  async send(
    ev: OutgoingEvent,
    attrs: Readonly<Record<string, string | undefined>>,
    signal?: AbortSignal,
  ): Promise<void> {
    const url = this.url;
    if (!url) throw new PermanentError('cannot emit: K_SINK is not set');
    const msg = encodeBinary(ev, attrs);
    const body = typeof msg.body === 'string' ? Buffer.from(msg.body, 'utf8') : msg.body;
    const { status, detail, retryAfter } = await new Promise<{
      status: number;
      detail: string;
      retryAfter: string | undefined;
    }>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...msg.headers, 'content-length': String(body.length) },
          timeout: this.timeoutMs,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
          let text = '';
          res.setEncoding('utf8');
          // Drained either way so the keep-alive connection can be reused; only a bounded prefix kept.
          res.on('data', (d: string) => {
            if (!ok && text.length < MAX_ERROR_BODY) text += d;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              detail: text.slice(0, MAX_ERROR_BODY),
              retryAfter: res.headers['retry-after'],
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    }).catch((e: unknown) => {
      const why = signal?.aborted ? 'aborted' : e instanceof Error ? e.message : 'unreachable';
      throw new TransientError(`emit ${ev.type} to K_SINK failed: ${why}`, { cause: e });
    });
    if (status >= 200 && status < 300) return;
    const what = `emit ${ev.type} to K_SINK answered ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 429) {
      const ra = Number(retryAfter);
      throw new RateLimitedError(what, Number.isFinite(ra) && ra > 0 ? Math.ceil(ra) : 1);
    }
    // Knative's retry table: 404, 408, 409, 429 and 5xx are retried; other 4xx mean the event is rejected.
    if (status >= 500 || status === 404 || status === 409 || status === 408) throw new TransientError(what);
    throw new PermanentError(what);
  }
}
