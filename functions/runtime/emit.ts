/**
 * Publishing events to K_SINK (the broker ingress) in binary mode. Failures are mapped to the host's
 * error vocabulary so the triggering event is retried when that can help and dropped when it cannot.
 */
import { PermanentError, RateLimitedError, TransientError } from './errors.js';
import { encodeBinary, type OutgoingEvent } from './cloudevents.js';

/** ctx.emit() was called but K_SINK is not set: a deployment mistake, not a property of the event. */
export class SinkNotConfiguredError extends PermanentError {
  override name = 'SinkNotConfiguredError';
  constructor() {
    super('cannot emit: K_SINK is not set (bind the function to the broker with a SinkBinding or set K_SINK)');
  }
}

export interface SinkOptions {
  /** Absolute http(s) URL; undefined disables emitting. */
  url: string | undefined;
  timeoutMs: number;
  /** K_CE_OVERRIDES extensions, applied to every emitted event. */
  overrides?: Readonly<Record<string, string>> | undefined;
}

export type TraceOverrides = { traceparent?: string | undefined; tracestate?: string | undefined };

const MAX_ERROR_BODY = 512;

export class SinkClient {
  constructor(private readonly opts: SinkOptions) {}

  get configured(): boolean {
    return this.opts.url !== undefined;
  }

  get url(): string | undefined {
    return this.opts.url;
  }

  async send(ev: OutgoingEvent, attrs: Readonly<Record<string, string | undefined>>, signal?: AbortSignal): Promise<void> {
    const url = this.opts.url;
    if (url === undefined) throw new SinkNotConfiguredError();
    const msg = encodeBinary(ev, { ...this.opts.overrides, ...attrs });
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: msg.headers, body: msg.body, signal: combined });
    } catch (e) {
      const why = timeout.aborted ? `timed out after ${this.opts.timeoutMs} ms` : signal?.aborted ? 'aborted' : 'unreachable';
      throw new TransientError(`emit ${ev.type} to K_SINK failed: ${why}`, { cause: e });
    }
    if (res.status >= 200 && res.status < 300) {
      // Drain so the keep-alive connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      return;
    }
    const detail = (await res.text().catch(() => '')).slice(0, MAX_ERROR_BODY);
    const what = `emit ${ev.type} to K_SINK answered ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status === 429) {
      const ra = Number(res.headers.get('retry-after'));
      throw new RateLimitedError(what, Number.isFinite(ra) && ra > 0 ? Math.ceil(ra) : 1);
    }
    // Knative's retry table: 404, 409, 429 and 5xx are retried; other 4xx mean the event is rejected.
    if (res.status >= 500 || res.status === 404 || res.status === 409 || res.status === 408) throw new TransientError(what);
    throw new PermanentError(what);
  }
}
