/**
 * The local broker: Knative Eventing's Broker/Trigger data plane in one process, for `kscape dev`
 * and tests.
 *
 * Behaviour follows the Knative data-plane contract (specs/eventing/data-plane.md) and the
 * MTChannelBasedBroker:
 *  - ingress: POST only (405 otherwise), binary or structured CloudEvents (400/415 when invalid),
 *    202 when accepted, at `/` and at Knative's `/<namespace>/<broker>` path;
 *  - every Trigger whose filter matches gets the event over real HTTP, binary mode, `Prefer: reply`;
 *  - 2xx = delivered; a 200 carrying a CloudEvent is a reply, re-published into the same broker;
 *    400 and other 4xx (except 404, 409, 429) are not retried; 404, 409, 429, 5xx, other statuses,
 *    network errors and timeouts are retried per the DeliverySpec, then dead-lettered with the
 *    `knativeerror*` extensions (or logged at error level and counted when there is no sink);
 *  - `knativebrokerttl` (default 255) guards reply loops: it is removed before delivery (as the
 *    broker filter does), set to TTL-1 on a reply, and an event arriving with TTL <= 0 is dropped.
 *
 * Backpressure: at most `maxPendingEvents` events may be in the broker at once (accepted and not
 * yet delivered, retried or dead-lettered to every matching Trigger). Beyond that the HTTP ingress
 * answers 429 with Retry-After, `publish()` throws BrokerBusyError, and a reply that cannot be
 * accepted fails the delivery that produced it (so it is retried, as Knative redelivers an event
 * whose reply the ingress rejected). Rejecting at the door keeps memory bounded and tells the
 * producer (function hosts treat 429 as transient) instead of buffering a storm without limit.
 * Separately, at most `maxConcurrentDeliveries` HTTP requests are in flight; that also bounds the
 * sockets of the shared keep-alive agent. Backoff waits do not hold a request slot.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudEvent } from 'cloudevents';
import { Cron } from 'croner';
import { logger as makeLogger, type Logger } from '../log/index.js';
import {
  CodecError,
  decodeMessage,
  encodeBinary,
  encodeStructured,
  fromCloudEvent,
  looksLikeCloudEvent,
  normalizeHeaders,
  type BrokerEvent,
  type HttpMessage,
} from './codec.js';
import {
  parseEvery,
  type BackoffPolicy,
  type BrokerConfig,
  type EventingConfig,
  type KReference,
  type PingSourceConfig,
  type TriggerConfig,
} from './config.js';
import { describeTriggerFilter, matchTriggerFilter } from './filters.js';
import { createAgents, NetworkError, parseRetryAfterMs, postMessage, type HttpResult } from './http.js';
import { resolveDestination, type DestinationResolver } from './resolve.js';
import { abortableSleep } from '../async/sleep.js';

export const DEFAULT_TTL = 255;
export const TTL_EXTENSION = 'knativebrokerttl';
/** Knative keeps at most this many base64 characters of the failed response in knativeerrordata. */
export const ERROR_DATA_MAX_ENCODED = 1024;

export interface LocalBrokerOptions {
  readonly config: EventingConfig;
  readonly resolve: DestinationResolver;
  /** Ingress port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Ingress host; default 127.0.0.1 (the broker has no authentication). */
  readonly host?: string;
  /** Broker that `POST /` and `publish()` without a broker use: `name` or `namespace/name`. Default: the only one, else one named `default`. */
  readonly defaultBroker?: string;
  /** Bound on HTTP requests in flight to subscribers and sinks. Default 32. */
  readonly maxConcurrentDeliveries?: number;
  /** Bound on events inside the broker (see the module comment). Default 1000. */
  readonly maxPendingEvents?: number;
  /** Largest accepted request body and buffered response body. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** Per-attempt timeout when the DeliverySpec sets none. Default 300000 (Knative Serving's request timeout). */
  readonly defaultTimeoutMs?: number;
  /** Backoff delay when the DeliverySpec sets `retry` but no `backoffDelay`. Default 200 (Knative's PT0.2S default). */
  readonly defaultBackoffDelayMs?: number;
  /** Run PingSources on their cron schedules. Default true; `firePing` works either way. */
  readonly schedulePings?: boolean;
  readonly logger?: Logger;
}

export interface TriggerStats {
  delivered: number;
  attempts: number;
  retried: number;
  replies: number;
  deadLettered: number;
  /** Exhausted or not retryable, with no dead-letter sink (or the sink failed too). */
  failed: number;
}

export interface BrokerStats {
  /** Events taken in (ingress, publish, pings, replies). */
  accepted: number;
  /** Accepted events that matched no Trigger (dropped, as Knative does). */
  unmatched: number;
  /** Successful deliveries (one per event × trigger). */
  delivered: number;
  /** HTTP attempts to subscribers. */
  attempts: number;
  /** Attempts that were retries. */
  retried: number;
  /** Reply events re-published into the broker. */
  replies: number;
  /** Events delivered to a dead-letter sink. */
  deadLettered: number;
  /** Dead-letter deliveries that failed too (the event is lost, logged at error level). */
  deadLetterFailed: number;
  /** Failed deliveries with no dead-letter sink (logged at error level). */
  undeliverable: number;
  /** Events dropped because knativebrokerttl reached 0. */
  droppedTtl: number;
  /** Events refused because the broker was full (429 / BrokerBusyError). */
  rejected: number;
  /** Ingress requests refused as invalid CloudEvents (400/415/413). */
  invalid: number;
  /** Deliveries abandoned by close(). */
  aborted: number;
  /** PingSource events emitted (scheduled or fired). */
  pings: number;
  /** Current gauges. */
  pending: number;
  inFlight: number;
  triggers: Record<string, TriggerStats>;
}

export type PublishResult =
  | { readonly status: 'accepted'; readonly id: string; readonly triggers: readonly string[] }
  | { readonly status: 'dropped-ttl'; readonly id: string };

export class BrokerBusyError extends Error {
  constructor(
    readonly pending: number,
    readonly closed = false,
  ) {
    super(closed ? 'broker is closed' : `broker is full (${pending} events pending); retry later`);
    this.name = 'BrokerBusyError';
  }
}

export interface LocalBroker {
  /** Knative-style ingress URL of the default broker: `http://host:port/<namespace>/<broker>`. */
  readonly ingressUrl: string;
  /** Ingress URL of every broker, keyed `namespace/name`. */
  readonly ingressUrls: Readonly<Record<string, string>>;
  /** Accept an event as if POSTed to the ingress; throws BrokerBusyError when full, CodecError when invalid. */
  publish(event: CloudEvent<unknown> | BrokerEvent, opts?: { broker?: string }): PublishResult;
  /** Emit one event of a PingSource now (`name` or `namespace/name`). */
  firePing(name: string): PublishResult;
  /** Next scheduled run of each PingSource (empty when scheduling is disabled). */
  pingSchedule(): { name: string; schedule: string; timezone?: string; nextRun: Date | null }[];
  /** Resolves when no event is pending (all deliveries, retries and replies settled). */
  whenIdle(): Promise<void>;
  stats(): BrokerStats;
  /** Stop the ingress and the schedules, abort in-flight deliveries and wait for them to settle. */
  close(): Promise<void>;
}

interface ResolvedDelivery {
  readonly retry: number;
  readonly backoffPolicy: BackoffPolicy;
  readonly backoffDelayMs: number;
  readonly timeoutMs: number;
  readonly retryAfterMaxMs?: number;
  readonly format: 'json' | 'binary';
  readonly deadLetterUrl?: string;
}

interface RuntimeTrigger {
  readonly key: string;
  readonly config: TriggerConfig;
  readonly url: string;
  readonly delivery: ResolvedDelivery;
  readonly stats: TriggerStats;
}

interface RuntimeBroker {
  readonly key: string;
  readonly config: BrokerConfig;
  readonly triggers: RuntimeTrigger[];
}

type Sink = { kind: 'broker'; broker: RuntimeBroker } | { kind: 'url'; url: string };

/** Start the ingress, resolve every subscriber and sink, and schedule the PingSources. */
export async function startLocalBroker(opts: LocalBrokerOptions): Promise<LocalBroker> {
  const log = opts.logger ?? makeLogger('broker');
  const host = opts.host ?? '127.0.0.1';
  const maxConcurrent = positive(opts.maxConcurrentDeliveries ?? 32, 'maxConcurrentDeliveries');
  const maxPending = positive(opts.maxPendingEvents ?? 1000, 'maxPendingEvents');
  const maxBody = positive(opts.maxBodyBytes ?? 4 * 1024 * 1024, 'maxBodyBytes');
  const defaultTimeoutMs = positive(opts.defaultTimeoutMs ?? 300_000, 'defaultTimeoutMs');
  const defaultBackoffMs = opts.defaultBackoffDelayMs ?? 200;
  const { config } = opts;
  if (config.brokers.length === 0) throw new Error('no Broker in the eventing configuration');

  // Listen first: Broker refs (sinks, subscribers pointing at a broker) resolve to our own URL.
  // The port may be known to producers before we are ready (dev mode hands it to the functions as
  // K_SINK first): until the routing table is built, answer 503 + Retry-After instead of leaving
  // requests without a handler.
  let handler: http.RequestListener = (req, res) => {
    req.resume();
    res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain; charset=utf-8' });
    res.end('broker starting\n');
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const base = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  const brokerUrl = (b: BrokerConfig): string => `${base}/${b.namespace}/${b.name}`;
  const internalRef = (ref: KReference): string | undefined => {
    if (ref.kind !== 'Broker' || !ref.apiVersion.startsWith('eventing.knative.dev/')) return undefined;
    const b = config.brokers.find((x) => x.name === ref.name && x.namespace === ref.namespace);
    return b ? brokerUrl(b) : undefined;
  };

  const closeController = new AbortController();
  const agents = createAgents(maxConcurrent);
  const brokers = new Map<string, RuntimeBroker>();
  const counters: Omit<BrokerStats, 'pending' | 'inFlight' | 'triggers'> = {
    accepted: 0,
    unmatched: 0,
    delivered: 0,
    attempts: 0,
    retried: 0,
    replies: 0,
    deadLettered: 0,
    deadLetterFailed: 0,
    undeliverable: 0,
    droppedTtl: 0,
    rejected: 0,
    invalid: 0,
    aborted: 0,
    pings: 0,
  };
  const triggerStats: Record<string, TriggerStats> = {};
  let pending = 0;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let closed = false;
  const schedules: { ps: PingSourceConfig; nextRun: () => Date | null; stop: () => void }[] = [];

  try {
    for (const b of config.brokers) {
      brokers.set(`${b.namespace}/${b.name}`, { key: `${b.namespace}/${b.name}`, config: b, triggers: [] });
    }
    const resolveDelivery = (spec: BrokerConfig['delivery'], referrer: string): ResolvedDelivery => ({
      retry: spec?.retry ?? 0,
      backoffPolicy: spec?.backoffPolicy ?? 'exponential',
      backoffDelayMs: spec?.backoffDelayMs ?? defaultBackoffMs,
      timeoutMs: spec?.timeoutMs ?? defaultTimeoutMs,
      ...(spec?.retryAfterMaxMs !== undefined ? { retryAfterMaxMs: spec.retryAfterMaxMs } : {}),
      format: spec?.format ?? 'binary',
      ...(spec?.deadLetterSink
        ? {
            deadLetterUrl: resolveDestination(
              spec.deadLetterSink,
              opts.resolve,
              { referrer, field: 'spec.delivery.deadLetterSink' },
              internalRef,
            ),
          }
        : {}),
    });
    const brokerDelivery = new Map<string, ResolvedDelivery>();
    for (const rb of brokers.values())
      brokerDelivery.set(rb.key, resolveDelivery(rb.config.delivery, `Broker ${rb.key}`));
    for (const t of config.triggers) {
      const key = `${t.namespace}/${t.name}`;
      const referrer = `Trigger ${key}`;
      const rb = brokers.get(`${t.namespace}/${t.broker}`);
      if (!rb)
        throw new Error(`${referrer} (${t.origin.file}): Broker ${t.namespace}/${t.broker} is not defined`);
      const url = resolveDestination(
        t.subscriber,
        opts.resolve,
        { referrer, field: 'spec.subscriber' },
        internalRef,
      );
      // A Trigger's delivery spec replaces the Broker's entirely; it does not merge field by field.
      const delivery = t.delivery ? resolveDelivery(t.delivery, referrer) : brokerDelivery.get(rb.key)!;
      const stats: TriggerStats = {
        delivered: 0,
        attempts: 0,
        retried: 0,
        replies: 0,
        deadLettered: 0,
        failed: 0,
      };
      triggerStats[key] = stats;
      rb.triggers.push({ key, config: t, url, delivery, stats });
      log.debug(
        { trigger: key, broker: rb.key, filter: describeTriggerFilter(t.filter), subscriber: url },
        'trigger ready',
      );
    }
  } catch (e) {
    await closeServer(server);
    throw e;
  }

  const defaultBroker = pickDefaultBroker(brokers, opts.defaultBroker);
  const findBroker = (name: string): RuntimeBroker | undefined =>
    brokers.get(name) ??
    (name.includes('/') ? undefined : [...brokers.values()].find((b) => b.config.name === name));

  // ---- request slots (bounded concurrency) ----
  const slotWaiters: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (inFlight < maxConcurrent) {
      inFlight++;
      return;
    }
    await new Promise<void>((resolve) => slotWaiters.push(resolve));
    // the releaser handed its slot over; inFlight stays the same
  };
  const release = (): void => {
    const next = slotWaiters.shift();
    if (next) next();
    else inFlight--;
  };

  const settleOne = (): void => {
    pending--;
    if (pending === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };

  // ---- accept / fan-out ----
  const accept = (rb: RuntimeBroker, ev: BrokerEvent, via: string): PublishResult => {
    const id = ev.attributes.id!;
    const rawTtl = ev.attributes[TTL_EXTENSION];
    let ttl = DEFAULT_TTL;
    if (rawTtl !== undefined) {
      if (!/^-?\d+$/.test(rawTtl.trim()))
        throw new CodecError(`${TTL_EXTENSION} must be an integer, got ${JSON.stringify(rawTtl)}`, 400);
      ttl = Number(rawTtl.trim());
    }
    if (ttl <= 0) {
      counters.droppedTtl++;
      log.warn(
        {
          eventId: id,
          eventType: ev.attributes.type,
          source: ev.attributes.source,
          broker: rb.key,
          via,
          ttl,
        },
        'dropping event: knativebrokerttl exhausted (a reply loop? a reply type should not match the trigger that produced it)',
      );
      return { status: 'dropped-ttl', id };
    }
    if (closed) throw new BrokerBusyError(pending, true);
    if (pending >= maxPending) {
      counters.rejected++;
      log.warn(
        { eventId: id, eventType: ev.attributes.type, broker: rb.key, via, pending },
        'broker full, rejecting event',
      );
      throw new BrokerBusyError(pending);
    }
    const stored: BrokerEvent = { ...ev, attributes: { ...ev.attributes, [TTL_EXTENSION]: String(ttl) } };
    counters.accepted++;
    const matched = rb.triggers.filter((t) => matchTriggerFilter(t.config.filter, stored.attributes));
    log.debug(
      {
        eventId: id,
        eventType: ev.attributes.type,
        broker: rb.key,
        via,
        ttl,
        triggers: matched.map((t) => t.key),
      },
      'event accepted',
    );
    if (matched.length === 0) {
      counters.unmatched++;
      return { status: 'accepted', id, triggers: [] };
    }
    pending++;
    void Promise.allSettled(matched.map((t) => deliver(rb, t, stored, ttl))).then(settleOne);
    return { status: 'accepted', id, triggers: matched.map((t) => t.key) };
  };

  const sleep = (ms: number): Promise<void> => abortableSleep(ms, closeController.signal, () => new Error('broker closed'));

  type Attempt =
    | { ok: true; result: HttpResult }
    | {
        ok: false;
        retryable: boolean;
        status?: number;
        body?: Buffer;
        retryAfterMs?: number;
        reason: string;
      };

  /** One HTTP attempt, classified per the data-plane contract. */
  const attemptOnce = async (
    url: string,
    msg: HttpMessage,
    d: ResolvedDelivery,
    extraHeaders?: Record<string, string>,
  ): Promise<Attempt> => {
    await acquire();
    let result: HttpResult;
    try {
      result = await postMessage(url, msg, {
        agents,
        timeoutMs: d.timeoutMs,
        signal: closeController.signal,
        maxResponseBytes: maxBody,
        ...(extraHeaders ? { extraHeaders } : {}),
      });
    } catch (e) {
      const reason = e instanceof NetworkError ? e.message : (e as Error).message;
      return { ok: false, retryable: true, reason };
    } finally {
      release();
    }
    const s = result.status;
    if (s >= 200 && s < 300) return { ok: true, result };
    // 400 and other 4xx are the subscriber saying "never send me this again"; 404/409/429 are
    // transient by Knative's contract; 5xx and unlisted statuses (1xx, 3xx) SHOULD be retried.
    const retryable = s === 404 || s === 409 || s === 429 || s >= 500 || s < 400;
    const retryAfterMs =
      s === 429 || s === 503 ? parseRetryAfterMs(result.headers['retry-after']) : undefined;
    return {
      ok: false,
      retryable,
      status: s,
      body: result.body,
      reason: `HTTP ${s}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  };

  const backoffMs = (d: ResolvedDelivery, retryNumber: number, retryAfterMs: number | undefined): number =>
    computeBackoffMs(d, retryNumber, retryAfterMs);

  const deliver = async (
    rb: RuntimeBroker,
    t: RuntimeTrigger,
    stored: BrokerEvent,
    ttl: number,
  ): Promise<void> => {
    const d = t.delivery;
    // The TTL is broker bookkeeping: the broker filter strips it before the subscriber sees the event.
    const { [TTL_EXTENSION]: _ttl, ...attrs } = stored.attributes;
    const out: BrokerEvent = stored.data ? { attributes: attrs, data: stored.data } : { attributes: attrs };
    const msg = d.format === 'json' ? encodeStructured(out) : encodeBinary(out);
    const ctx = { eventId: attrs.id, eventType: attrs.type, trigger: t.key, subscriber: t.url };
    let last: Extract<Attempt, { ok: false }> | undefined;
    for (let attempt = 1; attempt <= d.retry + 1; attempt++) {
      if (attempt > 1) {
        const wait = backoffMs(d, attempt - 1, last?.retryAfterMs);
        counters.retried++;
        t.stats.retried++;
        try {
          await sleep(wait);
        } catch {
          counters.aborted++;
          log.warn({ ...ctx, attempt }, 'delivery abandoned: broker closed');
          return;
        }
      }
      if (closed) {
        counters.aborted++;
        log.warn({ ...ctx, attempt }, 'delivery abandoned: broker closed');
        return;
      }
      counters.attempts++;
      t.stats.attempts++;
      const r = await attemptOnce(t.url, msg, d, { prefer: 'reply' });
      if (r.ok) {
        const replyFailure = handleReply(rb, t, r.result, ttl, ctx, attempt);
        if (replyFailure === undefined) {
          counters.delivered++;
          t.stats.delivered++;
          log.info({ ...ctx, attempt, status: r.result.status }, 'delivered');
          return;
        }
        last = replyFailure;
      } else {
        last = r;
      }
      if (closed && closeController.signal.aborted) {
        counters.aborted++;
        log.warn({ ...ctx, attempt }, 'delivery abandoned: broker closed');
        return;
      }
      const willRetry = last.retryable && attempt <= d.retry;
      // A retry is routine (the subscriber already logged its failure); giving up is not.
      const fields = { ...ctx, attempt, status: last.status, reason: last.reason, retry: willRetry };
      if (willRetry) log.info(fields, 'delivery failed, will retry');
      else log.warn(fields, 'delivery failed');
      if (!last.retryable) break;
    }
    await deadLetter(t, out, last!, ctx);
  };

  /** Returns undefined when the response was handled (no reply, or reply re-published), else a failure. */
  const handleReply = (
    rb: RuntimeBroker,
    t: RuntimeTrigger,
    res: HttpResult,
    ttl: number,
    ctx: Record<string, unknown>,
    attempt: number,
  ): Extract<Attempt, { ok: false }> | undefined => {
    // Only a 200 can carry a reply; 202 and other 2xx are plain acknowledgements.
    if (res.status !== 200) return undefined;
    const headers = normalizeHeaders(res.headers);
    if (!looksLikeCloudEvent(headers)) return undefined;
    if (res.truncated) {
      return {
        ok: false,
        retryable: true,
        status: 200,
        body: res.body,
        reason: `reply larger than ${maxBody} bytes`,
      };
    }
    let reply: BrokerEvent;
    try {
      reply = decodeMessage({ headers, body: res.body });
    } catch (e) {
      // Knative treats a malformed reply as a failed delivery (retried), not as success.
      return {
        ok: false,
        retryable: true,
        status: 200,
        body: res.body,
        reason: `malformed reply: ${(e as Error).message}`,
      };
    }
    const withTtl: BrokerEvent = {
      ...reply,
      attributes: { ...reply.attributes, [TTL_EXTENSION]: String(ttl - 1) },
    };
    try {
      const r = accept(rb, withTtl, `reply from ${t.key}`);
      if (r.status === 'accepted') {
        counters.replies++;
        t.stats.replies++;
        log.info(
          {
            ...ctx,
            attempt,
            replyId: reply.attributes.id,
            replyType: reply.attributes.type,
            triggers: r.triggers,
          },
          'reply re-published',
        );
      }
      return undefined;
    } catch (e) {
      return {
        ok: false,
        retryable: true,
        status: 200,
        reason: `reply not accepted by the broker: ${(e as Error).message}`,
      };
    }
  };

  const deadLetter = async (
    t: RuntimeTrigger,
    out: BrokerEvent,
    last: Extract<Attempt, { ok: false }>,
    ctx: Record<string, unknown>,
  ): Promise<void> => {
    const d = t.delivery;
    if (!d.deadLetterUrl) {
      counters.undeliverable++;
      t.stats.failed++;
      log.error(
        { ...ctx, status: last.status, reason: last.reason },
        'event undeliverable and no dead-letter sink configured: event lost',
      );
      return;
    }
    const ext: Record<string, string> = { knativeerrordest: t.url };
    if (last.status !== undefined) ext.knativeerrorcode = String(last.status);
    const errData = encodeErrorData(last.body);
    if (errData) ext.knativeerrordata = errData;
    const dlEvent: BrokerEvent = out.data
      ? { attributes: { ...out.attributes, ...ext }, data: out.data }
      : { attributes: { ...out.attributes, ...ext } };
    const msg = d.format === 'json' ? encodeStructured(dlEvent) : encodeBinary(dlEvent);
    // The sink gets the same retry policy as the subscriber; there is no sink for the sink.
    let lastDl: Attempt | undefined;
    for (let attempt = 1; attempt <= d.retry + 1; attempt++) {
      if (attempt > 1) {
        try {
          await sleep(backoffMs(d, attempt - 1, lastDl && !lastDl.ok ? lastDl.retryAfterMs : undefined));
        } catch {
          // closed while waiting
        }
      }
      if (closed) {
        counters.aborted++;
        log.warn(
          { ...ctx, deadLetterSink: d.deadLetterUrl },
          'dead-letter delivery abandoned: broker closed',
        );
        return;
      }
      lastDl = await attemptOnce(d.deadLetterUrl, msg, d);
      if (lastDl.ok) {
        counters.deadLettered++;
        t.stats.deadLettered++;
        log.warn(
          { ...ctx, deadLetterSink: d.deadLetterUrl, status: last.status, reason: last.reason },
          'event sent to the dead-letter sink',
        );
        return;
      }
      if (!lastDl.retryable) break;
    }
    counters.deadLetterFailed++;
    t.stats.failed++;
    log.error(
      {
        ...ctx,
        deadLetterSink: d.deadLetterUrl,
        reason: last.reason,
        deadLetterReason: lastDl && !lastDl.ok ? lastDl.reason : undefined,
      },
      'dead-letter sink failed too: event lost',
    );
  };

  // ---- PingSources ----
  const pingSinks = new Map<string, Sink>();
  for (const ps of config.pingSources) {
    const key = `${ps.namespace}/${ps.name}`;
    const ref = ps.sink.ref;
    const rb =
      ref && !ps.sink.uri && internalRef(ref) ? brokers.get(`${ref.namespace}/${ref.name}`) : undefined;
    try {
      pingSinks.set(
        key,
        rb
          ? { kind: 'broker', broker: rb }
          : {
              kind: 'url',
              url: resolveDestination(
                ps.sink,
                opts.resolve,
                { referrer: `PingSource ${key}`, field: 'spec.sink' },
                internalRef,
              ),
            },
      );
    } catch (e) {
      await closeServer(server);
      throw e;
    }
  }

  const emitPing = (ps: PingSourceConfig): PublishResult => {
    const key = `${ps.namespace}/${ps.name}`;
    const attributes: Record<string, string> = {
      ...ps.extensions,
      specversion: '1.0',
      id: randomUUID(),
      source: `/apis/v1/namespaces/${ps.namespace}/pingsources/${ps.name}`,
      type: 'dev.knative.sources.ping',
      time: new Date().toISOString(),
      ...(ps.contentType ? { datacontenttype: ps.contentType } : {}),
    };
    const ev: BrokerEvent = ps.data ? { attributes, data: ps.data } : { attributes };
    counters.pings++;
    const sink = pingSinks.get(key)!;
    log.info({ pingSource: key, eventId: attributes.id }, 'ping');
    if (sink.kind === 'broker') return accept(sink.broker, ev, `PingSource ${key}`);
    // A sink that is not one of our brokers (e.g. a Service directly): one best-effort POST.
    pending++;
    void attemptOnce(sink.url, encodeBinary(ev), { ...resolvedDefault(defaultTimeoutMs) })
      .then((r) => {
        if (!r.ok) log.error({ pingSource: key, sink: sink.url, reason: r.reason }, 'ping delivery failed');
      })
      .finally(settleOne);
    return { status: 'accepted', id: attributes.id!, triggers: [] };
  };

  if (opts.schedulePings !== false) {
    for (const ps of config.pingSources) {
      const run = (): void => {
        try {
          emitPing(ps);
        } catch (e) {
          log.error({ pingSource: `${ps.namespace}/${ps.name}`, err: e }, 'scheduled ping not accepted');
        }
      };
      const everyMs = parseEvery(ps.schedule);
      if (typeof everyMs === 'number') {
        // robfig/cron's @every: fixed interval from start, not aligned to the clock.
        let next = Date.now() + everyMs;
        const timer = setInterval(() => {
          next = Date.now() + everyMs;
          run();
        }, everyMs);
        timer.unref();
        schedules.push({ ps, nextRun: () => new Date(next), stop: () => clearInterval(timer) });
      } else {
        const cron = new Cron(
          ps.schedule,
          {
            name: `pingsource-${ps.namespace}-${ps.name}`,
            ...(ps.timezone ? { timezone: ps.timezone } : {}),
            unref: true,
          },
          run,
        );
        schedules.push({ ps, nextRun: () => cron.nextRun(), stop: () => cron.stop() });
      }
    }
  }

  // ---- ingress ----
  handler = (req, res) => {
    void handleIngress(req, res);
  };
  const handleIngress = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const reply = (status: number, message: string, headers: Record<string, string> = {}): void => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(message ? `${message}\n` : '');
    };
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    let rb: RuntimeBroker | undefined;
    if (path === '/') rb = defaultBroker;
    else {
      const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
      rb = m ? brokers.get(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`) : undefined;
    }
    if (!rb) {
      req.resume();
      return reply(
        404,
        path === '/'
          ? 'several brokers: POST to /<namespace>/<broker>'
          : `no broker at ${path}; brokers: ${[...brokers.keys()].map((k) => `/${k}`).join(', ')}`,
      );
    }
    if (req.method !== 'POST') {
      req.resume();
      return reply(405, 'only POST is allowed', { allow: 'POST' });
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBody) {
      req.resume();
      counters.invalid++;
      return reply(413, `body larger than ${maxBody} bytes`, { connection: 'close' });
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (e) {
      counters.invalid++;
      return reply(413, (e as Error).message, { connection: 'close' });
    }
    try {
      const ev = decodeMessage({ headers: normalizeHeaders(req.headers), body });
      const r = accept(rb, ev, 'ingress');
      reply(202, '');
      void r;
    } catch (e) {
      if (e instanceof CodecError) {
        counters.invalid++;
        log.debug({ status: e.status, reason: e.message, path }, 'ingress refused an invalid event');
        return reply(e.status, e.message);
      }
      if (e instanceof BrokerBusyError) return reply(closed ? 503 : 429, e.message, { 'retry-after': '1' });
      log.error({ err: e }, 'ingress failure');
      reply(500, 'internal error');
    }
  };

  const ingressUrls: Record<string, string> = {};
  for (const rb of brokers.values()) ingressUrls[rb.key] = brokerUrl(rb.config);
  log.info(
    {
      ingress: ingressUrls,
      triggers: config.triggers.length,
      pingSources: config.pingSources.map((p) => `${p.namespace}/${p.name} "${p.schedule}"`),
      scheduling: opts.schedulePings !== false,
    },
    'local broker listening',
  );

  const findPing = (name: string): PingSourceConfig => {
    const ps = config.pingSources.find((p) => `${p.namespace}/${p.name}` === name || p.name === name);
    if (!ps)
      throw new Error(
        `no PingSource ${name}; known: ${config.pingSources.map((p) => `${p.namespace}/${p.name}`).join(', ') || 'none'}`,
      );
    return ps;
  };

  return {
    ingressUrl: defaultBroker ? brokerUrl(defaultBroker.config) : `${base}/`,
    ingressUrls,
    publish(event, popts = {}) {
      const rb = popts.broker ? findBroker(popts.broker) : defaultBroker;
      if (!rb)
        throw new Error(popts.broker ? `no broker ${popts.broker}` : 'several brokers: pass opts.broker');
      const ev = isBrokerEvent(event) ? validateBrokerEvent(event) : fromCloudEvent(event);
      return accept(rb, ev, 'publish');
    },
    firePing(name) {
      return emitPing(findPing(name));
    },
    pingSchedule() {
      return schedules.map(({ ps, nextRun }) => ({
        name: `${ps.namespace}/${ps.name}`,
        schedule: ps.schedule,
        ...(ps.timezone ? { timezone: ps.timezone } : {}),
        nextRun: nextRun(),
      }));
    },
    whenIdle() {
      if (pending === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    stats() {
      const triggers: Record<string, TriggerStats> = {};
      for (const [k, v] of Object.entries(triggerStats)) triggers[k] = { ...v };
      return { ...counters, pending, inFlight, triggers };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const sch of schedules) sch.stop();
      closeController.abort();
      await closeServer(server);
      if (pending > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      agents.http.destroy();
      agents.https.destroy();
      log.info({ stats: { ...counters } }, 'local broker closed');
    },
  };
}

/**
 * Wait before retry number `retryNumber` (1-based). Exponential is delay × 2^(n-1): Knative hands
 * go-retryablehttp's 0-based retry index to delay × 2^i, so the first retry waits backoffDelay
 * (2 s, 4 s, 8 s ... for PT2S). Linear is delay × n, so its first retry also waits backoffDelay
 * rather than retrying at once. A Retry-After (429/503) longer than the backoff wins, capped by
 * retryAfterMax when set.
 */
export function computeBackoffMs(
  d: { backoffPolicy: BackoffPolicy; backoffDelayMs: number; retryAfterMaxMs?: number },
  retryNumber: number,
  retryAfterMs?: number,
): number {
  const backoff =
    d.backoffPolicy === 'linear' ? d.backoffDelayMs * retryNumber : d.backoffDelayMs * 2 ** (retryNumber - 1);
  if (retryAfterMs === undefined) return backoff;
  const honoured = d.retryAfterMaxMs !== undefined ? Math.min(retryAfterMs, d.retryAfterMaxMs) : retryAfterMs;
  return Math.max(backoff, honoured);
}

function resolvedDefault(timeoutMs: number): ResolvedDelivery {
  return { retry: 0, backoffPolicy: 'exponential', backoffDelayMs: 0, timeoutMs, format: 'binary' };
}

function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${n}`);
  return n;
}

function pickDefaultBroker(
  brokers: Map<string, RuntimeBroker>,
  wanted: string | undefined,
): RuntimeBroker | undefined {
  const all = [...brokers.values()];
  if (wanted) {
    const b = brokers.get(wanted) ?? all.find((x) => x.config.name === wanted);
    if (!b)
      throw new Error(`defaultBroker ${wanted} is not defined; brokers: ${[...brokers.keys()].join(', ')}`);
    return b;
  }
  if (all.length === 1) return all[0];
  return all.find((b) => b.config.name === 'default');
}

function isBrokerEvent(e: unknown): e is BrokerEvent {
  return (
    typeof e === 'object' &&
    e !== null &&
    'attributes' in e &&
    typeof (e as { attributes: unknown }).attributes === 'object'
  );
}

function validateBrokerEvent(e: BrokerEvent): BrokerEvent {
  // Round-trip through the binary decoder so in-process events obey the same rules as HTTP ones.
  const msg = encodeBinary(e);
  return decodeMessage({ headers: msg.headers, body: msg.body });
}

/**
 * knativeerrordata: the failed response body without control characters (they are not allowed in
 * header values), truncated so that its base64 form fits Knative's 1024-byte limit.
 */
export function encodeErrorData(body: Buffer | undefined): string | undefined {
  if (!body || body.length === 0) return undefined;
  const clean = Buffer.from(
    body.filter((b) => !((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f)),
  );
  if (clean.length === 0) return undefined;
  const maxRaw = Math.floor(ERROR_DATA_MAX_ENCODED / 4) * 3;
  return clean.subarray(0, maxRaw).toString('base64');
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Keep draining (so we can still answer 413 on this connection) but stop buffering.
      if (size <= max) chunks.push(c);
    });
    req.on('end', () =>
      size > max ? reject(new Error(`body larger than ${max} bytes`)) : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
