/**
 * Signed HTTP delivery to the provider with retries. One `deliver` call sends the messages of one
 * event (one, or several report chunks) under one time budget:
 *
 * - every message is signed per Standard Webhooks with all configured secrets; its webhook-id is
 *   fixed by the caller (the event id, or event id + chunk number), so a retry — ours or the
 *   broker's redelivery of the whole event — carries the same id and the provider can dedupe;
 * - 408, 429, 5xx and network errors are retried with exponential backoff and full jitter,
 *   honouring Retry-After; any other 4xx is the provider refusing the payload (PermanentError, so
 *   the broker dead-letters it at once with that reason);
 * - when the budget would be exceeded the event goes back to the broker (TransientError → 503, or
 *   RateLimitedError → 429 when only our own rate limit is in the way); the broker's DeliverySpec
 *   retries it and finally dead-letters it (the deadletter function logs the reason and counts it);
 * - messages the provider already acknowledged are remembered (bounded), so a redelivered event
 *   does not resend the chunks that got through.
 */
import { signHeaders } from '../../lib/webhooks/index.js';
import { PermanentError, RateLimitedError, TransientError } from '../runtime/errors.js';
import type { FunctionContext } from '../runtime/types.js';
import { TokenBucket } from './ratelimit.js';
import { abortableSleep } from '../../lib/async/sleep.js';

export interface OutgoingMessage {
  url: string;
  webhookId: string;
  body: string;
  contentType: string;
  /** Extra headers (X-API-KEY for the kubescape format). */
  headers?: Record<string, string>;
}

export interface DelivererOptions {
  secrets: readonly Buffer[];
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  requestTimeoutMs: number;
  /** Requests per second per URL; 0 = unlimited. */
  ratePerSecond: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Remembered acknowledged (url, webhook-id) pairs. */
  memory?: number;
  random?: () => number;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => abortableSleep(ms, signal);

/** Retry-After in ms (delta seconds or HTTP date), undefined when absent or unparsable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

type Attempt = undefined | { after?: number; why: string };

/** At most `max` bytes of the provider's answer (the rest is not read: a hostile provider cannot make us buffer it). */
export async function shortText(res: Response, max = 256): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a broken answer body still leaves the status to decide on
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

export class Deliverer {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly acked = new Set<string>();
  private readonly memory: number;

  constructor(private readonly o: DelivererOptions) {
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? defaultSleep;
    this.random = o.random ?? Math.random;
    this.memory = o.memory ?? 10_000;
  }

  /** Deliver every message in order, within one budget. */
  async deliver(messages: Iterable<OutgoingMessage>, ctx: FunctionContext): Promise<void> {
    const deadline = this.now() + this.o.budgetMs;
    for (const m of messages) {
      const key = `${m.url}\u0000${m.webhookId}`;
      if (this.acked.has(key)) continue;
      await this.deliverOne(m, deadline, ctx);
      this.remember(key);
    }
  }

  private remember(key: string): void {
    this.acked.add(key);
    if (this.acked.size > this.memory) this.acked.delete(this.acked.values().next().value!);
  }

  private async takeToken(url: string, deadline: number, ctx: FunctionContext): Promise<void> {
    let bucket = this.buckets.get(url);
    if (!bucket) this.buckets.set(url, (bucket = new TokenBucket(this.o.ratePerSecond, this.now)));
    for (;;) {
      const wait = bucket.reserve();
      if (wait === 0) return;
      if (this.now() + wait >= deadline) {
        throw new RateLimitedError(
          `provider rate limit (${this.o.ratePerSecond}/s for ${url}) leaves no time in this delivery's budget`,
          Math.max(1, Math.ceil(wait / 1000)),
        );
      }
      await this.sleep(wait, ctx.signal);
    }
  }

  private async attempt(m: OutgoingMessage, signal: AbortSignal): Promise<Attempt> {
    const headers = {
      'content-type': m.contentType,
      ...m.headers,
      ...signHeaders(this.o.secrets, m.webhookId, Math.floor(this.now() / 1000), m.body),
    };
    let res: Response;
    try {
      res = await fetch(m.url, {
        method: 'POST',
        headers,
        body: m.body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.o.requestTimeoutMs)]),
      });
    } catch (e) {
      if (signal.aborted) throw e;
      return {
        why: `unreachable: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`,
      };
    }
    const text = await shortText(res);
    if (res.status >= 200 && res.status < 300) return undefined;
    const why = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      const after = retryAfterMs(res.headers.get('retry-after'), this.now());
      return { why, ...(after !== undefined ? { after } : {}) };
    }
    throw new PermanentError(`provider ${m.url} refused ${m.webhookId}: ${why}`);
  }

  private async deliverOne(m: OutgoingMessage, deadline: number, ctx: FunctionContext): Promise<void> {
    for (let n = 0; ; n++) {
      await this.takeToken(m.url, deadline, ctx);
      const r = await this.attempt(m, ctx.signal);
      if (!r) {
        if (n > 0)
          ctx.log.info({ url: m.url, webhookId: m.webhookId, attempts: n + 1 }, 'delivered after retries');
        return;
      }
      const backoff = this.random() * Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** n);
      const wait = Math.max(backoff, r.after ?? 0);
      if (this.now() + wait >= deadline) {
        throw new TransientError(
          `delivery of ${m.webhookId} to ${m.url} failed after ${n + 1} attempt(s) (${r.why}); handing it back to the broker`,
        );
      }
      ctx.log.warn(
        { url: m.url, webhookId: m.webhookId, attempt: n + 1, waitMs: Math.round(wait), why: r.why },
        'delivery failed; retrying',
      );
      await this.sleep(wait, ctx.signal);
    }
  }
}
