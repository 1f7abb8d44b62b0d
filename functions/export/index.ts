/**
 * The export function: delivers completed results and cluster inventory to the provider, signed
 * with Standard Webhooks. `webhook-id` is the event id, so every retry (ours and the broker's)
 * carries the same id and the provider can dedupe. Within the handler's budget, failed deliveries
 * are retried with exponential backoff and full jitter, honouring Retry-After; after that the
 * handler throws TransientError and the broker's DeliverySpec (retries, then dead letter) takes over.
 * A 4xx other than 408/429 is the provider refusing the payload: PermanentError (not retried).
 */
import { FUNCTION_ROUTES, EVENT_TYPES, type EventType } from '../../lib/events/index.js';
import { logger } from '../../lib/log/index.js';
import { parseSecrets, signHeaders } from '../../lib/webhooks/index.js';
import { ConfigError, type Env } from '../../lib/config/env.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from '../runtime/types.js';
import { EXPORT_KINDS, loadExportConfig, type ExportConfig } from './config.js';

const KIND_OF: Partial<Record<EventType, (typeof EXPORT_KINDS)[number]>> = {
  [EVENT_TYPES.configScanCompleted]: 'configscan',
  [EVENT_TYPES.vulnScanCompleted]: 'vulnscan',
  [EVENT_TYPES.clusterInventoried]: 'inventory',
};

export interface ExportOptions {
  env?: Env;
  config?: Partial<ExportConfig>;
  /** Backoff base (ms); the n-th retry waits up to base·2ⁿ (full jitter), capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Retry-After in ms (delta seconds or HTTP date), undefined when absent or unparsable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The event as a structured-mode CloudEvent (JSON). */
export function structuredCloudEvent(event: IncomingEvent): string {
  return JSON.stringify({
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.type,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    ...(event.time !== undefined ? { time: event.time } : {}),
    datacontenttype: 'application/json',
    data: event.data,
  });
}

export function createExportFunction(opts: ExportOptions = {}): FunctionDefinition {
  const cfg: ExportConfig = { ...loadExportConfig(opts.env ?? process.env), ...opts.config };
  const log = logger('export');
  const urls = cfg.KSCAPE_PROVIDER_URL;
  const secrets = parseSecrets(cfg.KSCAPE_PROVIDER_SECRET);
  if (urls.length && secrets.length === 0) throw new ConfigError([{ variable: 'KSCAPE_PROVIDER_SECRET', value: '', allowed: 'whsec_<base64>', reason: 'required when KSCAPE_PROVIDER_URL is set (deliveries are always signed)' }]);
  for (const u of urls) {
    if (!/^https?:\/\//.test(u)) throw new ConfigError([{ variable: 'KSCAPE_PROVIDER_URL', value: u, allowed: 'http(s) URLs, comma-separated' }]);
  }
  for (const k of cfg.KSCAPE_EXPORT_KINDS) {
    if (!(EXPORT_KINDS as readonly string[]).includes(k)) throw new ConfigError([{ variable: 'KSCAPE_EXPORT_KINDS', value: k, allowed: EXPORT_KINDS.join(', ') }]);
  }
  const kinds = new Set(cfg.KSCAPE_EXPORT_KINDS);
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const base = opts.baseDelayMs ?? 250;
  const cap = opts.maxDelayMs ?? 10_000;
  let disabledLogged = false;

  /** One attempt; returns undefined on success, or the wait before the next one (ms). */
  const attempt = async (url: string, id: string, body: string, signal: AbortSignal): Promise<{ retry: true; after?: number; why: string } | undefined> => {
    const headers = { 'content-type': 'application/cloudevents+json', ...signHeaders(secrets, id, Math.floor(now() / 1000), body) };
    const timeout = AbortSignal.timeout(cfg.KSCAPE_EXPORT_REQUEST_TIMEOUT);
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.any([signal, timeout]) });
    } catch (e) {
      if (signal.aborted) throw e;
      return { retry: true, why: `unreachable: ${e instanceof Error ? e.message : String(e)}` };
    }
    const text = (await res.text().catch(() => '')).slice(0, 256);
    if (res.status >= 200 && res.status < 300) return undefined;
    const why = `${res.status}${text ? `: ${text}` : ''}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      const after = retryAfterMs(res.headers.get('retry-after'), now());
      return { retry: true, why, ...(after !== undefined ? { after } : {}) };
    }
    throw new PermanentError(`provider ${url} refused event ${id}: ${why}`);
  };

  const deliver = async (url: string, id: string, body: string, ctx: FunctionContext): Promise<void> => {
    const deadline = now() + cfg.KSCAPE_EXPORT_BUDGET;
    for (let n = 0; ; n++) {
      const r = await attempt(url, id, body, ctx.signal);
      if (!r) {
        if (n > 0) ctx.log.info({ url, attempts: n + 1 }, 'delivered after retries');
        return;
      }
      const backoff = Math.random() * Math.min(cap, base * 2 ** n);
      const wait = Math.max(backoff, r.after ?? 0);
      if (now() + wait >= deadline) {
        throw new TransientError(`delivery of ${id} to ${url} failed after ${n + 1} attempt(s) (${r.why}); handing it back to the broker`);
      }
      ctx.log.warn({ url, attempt: n + 1, waitMs: Math.round(wait), why: r.why }, 'delivery failed; retrying');
      await sleep(wait, ctx.signal);
    }
  };

  return {
    name: 'export',
    consumes: FUNCTION_ROUTES.export.consumes,
    async handle(event, ctx) {
      if (urls.length === 0) {
        if (!disabledLogged) {
          disabledLogged = true;
          log.info('KSCAPE_PROVIDER_URL is not set: export is disabled; events are acknowledged and skipped');
        }
        return undefined;
      }
      const kind = KIND_OF[event.type];
      if (!kind || !kinds.has(kind)) return undefined;
      if (cfg.KSCAPE_PROVIDER_FORMAT === 'kubescape') {
        throw new PermanentError('KSCAPE_PROVIDER_FORMAT=kubescape is not implemented in this version; use cloudevents');
      }
      const body = structuredCloudEvent(event);
      for (const url of urls) await deliver(url, event.id, body, ctx);
      return undefined;
    },
  };
}
