/**
 * The CloudEvents function host: HTTP in, one handler call per event, reply event (or 202) out.
 *
 * Everything a function must not care about lives here: CloudEvents decoding in the three HTTP
 * modes, catalog validation, body limits, deadlines, tracing, metrics, per-event logs, the mapping
 * of typed errors to Knative's retry semantics, health endpoints and drain state for shutdown.
 *
 * The hot path is deliberately plain: with telemetry off a request allocates one decoded event, one
 * context object and one response; loggers bound to the event are only created if the handler
 * actually logs.
 */
import type { IncomingMessage } from 'node:http';
import { Hono, type Context as HonoContext } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { lineWriter, logger, type Logger } from '../../lib/log/index.js';
import { parseEventData, type CatalogEvent, type EventType } from '../../lib/events/index.js';
import { beginEventTrace, recordRejected, type EventOutcome, type EventTrace } from '../../lib/telemetry/index.js';
import type { Env } from '../../lib/config/env.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { PermanentError, RateLimitedError, TransientError } from './errors.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from './types.js';
import { decodeMessage, encodeBinary, EventDecodeError, type DecodedEvent, type HeaderBag, type OutgoingEvent } from './cloudevents.js';
import { declaredLength, readNodeBody, readWebBody, type BodyResult } from './body.js';
import { problem, problemAnswer, problemResponse, toResponse, type HostAnswer, type Problem, type ProblemIssue } from './problem.js';
import { SinkClient } from './emit.js';

/** An event as a type-agnostic function sees it: `data` is not validated against any schema. */
export interface AnyIncomingEvent {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Parsed JSON for JSON media types, a Buffer otherwise, undefined when the event has no data. */
  data: unknown;
  extensions: Record<string, string>;
}

/**
 * Explicit opt-in to receive every event type with no catalog validation. Only sinks that must
 * accept whatever the broker hands them (the dead-letter recorder) should use it: every other
 * function declares `consumes` so a wrong Trigger is answered with 400 instead of silently handled.
 */
export interface AnyEventFunctionDefinition {
  name: string;
  acceptAnyType: true;
  /**
   * Ignored by the host when `acceptAnyType` is set; present (normally `[]`) so such a definition
   * also satisfies `FunctionDefinition` and fits registries typed with it.
   */
  consumes: readonly EventType[];
  handle(event: AnyIncomingEvent, ctx: FunctionContext): Promise<CatalogEvent | undefined>;
  ready?(): Promise<void>;
  close?(): Promise<void>;
}

export type HostedFunction = FunctionDefinition | AnyEventFunctionDefinition;

export interface FunctionAppOptions {
  /** Values that win over the environment (tests, dev mode with several functions in one process). */
  config?: Partial<RuntimeConfig>;
  /** Environment to read the configuration from; defaults to process.env. */
  env?: Env;
  log?: Logger;
}

/** The handler overran KSCAPE_HANDLER_TIMEOUT. */
export class HandlerTimeoutError extends TransientError {
  override name = 'HandlerTimeoutError';
}

/** The host is shutting down and stopped waiting for this handler. */
export class ShutdownAbortError extends TransientError {
  override name = 'ShutdownAbortError';
}

/** Lifecycle controls of a function app, used by `serveFunction` and embedding hosts. */
export interface FunctionHost {
  readonly name: string;
  readonly config: RuntimeConfig;
  readonly log: Logger;
  /** Requests being answered plus handlers still running after their deadline. */
  readonly inflight: number;
  readonly draining: boolean;
  /** Stop being ready; responses carry `Connection: close` from now on. */
  drain(): void;
  /** Resolves when nothing is in flight. */
  idle(): Promise<void>;
  /** Abort every running handler's signal (shutdown deadline passed). */
  abortAll(): void;
  /** Call the function's close(), once. */
  closeFunction(): Promise<void>;
  /**
   * Answer `POST /` from a Node request (`incoming`) or a Fetch request (`web`): decoding,
   * validation, handler, logs, metrics. Never throws. The node:http fast path calls it directly.
   */
  answerPost(headers: HeaderBag, incoming: IncomingMessage | undefined, web?: Request): Promise<HostAnswer>;
}

const hosts = new WeakMap<object, FunctionHost>();

type Bindings = { Bindings: Partial<HttpBindings> };
/** The hono app createFunctionApp makes (node:http bindings optional: app.fetch works without them). */
export type FunctionApp = Hono<Bindings>;

/** The lifecycle controls of an app made by createFunctionApp. */
export function functionHost(app: FunctionApp): FunctionHost {
  const h = hosts.get(app);
  if (!h) throw new Error('not a function app: create it with createFunctionApp');
  return h;
}

type Validated = { decoded: DecodedEvent; event: IncomingEvent | AnyIncomingEvent };

interface Mapped {
  status: number;
  outcome: EventOutcome;
  problem: Problem;
  headers?: Record<string, string>;
}

const isAnyType = (def: HostedFunction): def is AnyEventFunctionDefinition => (def as AnyEventFunctionDefinition).acceptAnyType === true;

export function createFunctionApp(def: HostedFunction, opts: FunctionAppOptions = {}): FunctionApp {
  const config: RuntimeConfig = { ...loadRuntimeConfig(opts.env ?? process.env), ...opts.config };
  const log =
    opts.log ??
    logger('function-host', {
      function: def.name,
      ...(config.K_SERVICE ? { kservice: config.K_SERVICE } : {}),
      ...(config.K_REVISION ? { krevision: config.K_REVISION } : {}),
    });
  const anyType = isAnyType(def);
  const consumes = new Set<string>(anyType ? [] : def.consumes);
  const source = `/kscape/${def.name}`;
  const sink = new SinkClient({ url: config.K_SINK, timeoutMs: config.KSCAPE_EMIT_TIMEOUT, overrides: config.K_CE_OVERRIDES });
  if (!sink.configured) log.info('K_SINK is not set: ctx.emit() fan-out is disabled for this function');
  const limit = config.KSCAPE_MAX_BODY_BYTES;

  // ---- lifecycle state -------------------------------------------------------------------
  let inflight = 0;
  let draining = false;
  let idleWaiters: (() => void)[] = [];
  const active = new Set<HostContext>();
  let closed: Promise<void> | undefined;
  const enter = (): void => {
    inflight++;
  };
  const leave = (): void => {
    inflight--;
    if (inflight === 0 && idleWaiters.length) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };
  const host: FunctionHost = {
    name: def.name,
    config,
    log,
    get inflight() {
      return inflight;
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    idle() {
      return inflight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r));
    },
    abortAll() {
      for (const c of active) {
        const err = new ShutdownAbortError('the function host is shutting down');
        c.abort(err);
        // Answer 503 now even if the handler ignores its signal, so the broker redelivers elsewhere.
        c.expire?.(err);
        c.expire = undefined;
      }
    },
    answerPost: (headers, incoming, web) => answerPost(headers, incoming, web),
    closeFunction() {
      return (closed ??= (async () => {
        try {
          await def.close?.();
        } catch (e) {
          log.error({ err: e }, 'function close() failed');
        }
      })());
    },
  };

  // ---- per-event context -------------------------------------------------------------------
  class HostContext implements FunctionContext {
    readonly source = source;
    readonly traceparent: string | undefined;
    readonly tracestate: string | undefined;
    running: Promise<unknown> | undefined;
    /** performance.now() past which the handler has overrun KSCAPE_HANDLER_TIMEOUT. */
    readonly deadline = performance.now() + config.KSCAPE_HANDLER_TIMEOUT;
    /** Rejects the host's wait for the handler (set while waiting). */
    expire: ((e: unknown) => void) | undefined;
    private bound: Logger | undefined;
    private ac: AbortController | undefined;
    private abortReason: unknown;
    constructor(
      private readonly ev: DecodedEvent,
      private readonly trace: EventTrace,
      private readonly batch: boolean,
    ) {
      this.traceparent = trace.traceparent;
      this.tracestate = trace.tracestate;
    }
    /** Created on first use: most handlers never look at it, and an AbortController per event adds up. */
    get signal(): AbortSignal {
      if (!this.ac) {
        this.ac = new AbortController();
        if (this.abortReason !== undefined) this.ac.abort(this.abortReason);
      }
      return this.ac.signal;
    }
    abort(reason: unknown): void {
      if (this.ac) this.ac.abort(reason);
      else this.abortReason ??= reason;
    }
    get log(): Logger {
      return (this.bound ??= log.child(eventBindings(this.ev, this.trace)));
    }
    emit = async (event: CatalogEvent): Promise<void> => {
      await sink.send(event, traceAttrs(event, this.ev, this.trace), this.signal);
    };
    /** Batch replies cannot go back in the HTTP answer: they are published like emitted events. */
    get inBatch(): boolean {
      return this.batch;
    }
  }

  // ---- validation --------------------------------------------------------------------------
  const validate = (ev: DecodedEvent, index: number | undefined): Validated | Problem => {
    const at = (p: string): string => (index === undefined ? p : `[${index}].${p}`);
    if (anyType) return { decoded: ev, event: ev };
    if (!consumes.has(ev.type)) {
      return problem('unsupported-type', 400, `${def.name} consumes ${[...consumes].join(', ')}; got ${ev.type}`, [
        { path: at('type'), message: 'not consumed by this function' },
      ]);
    }
    if (Buffer.isBuffer(ev.data)) {
      return problem('invalid-event', 400, `data must be JSON, got content type ${ev.datacontenttype ?? '(none)'}`, [
        { path: at('datacontenttype'), message: 'must be application/json' },
      ]);
    }
    const parsed = parseEventData(ev.type, ev.data);
    if (!parsed.ok) {
      const issues: ProblemIssue[] = (parsed.issues ?? [{ path: '(root)', message: parsed.message }]).map((i) => ({
        path: at(`data.${i.path}`),
        message: i.message,
      }));
      return problem('invalid-data', 400, `invalid data for ${ev.type}`, issues);
    }
    const event: IncomingEvent = { id: ev.id, source: ev.source, type: parsed.type, data: parsed.data, extensions: ev.extensions };
    if (ev.subject !== undefined) event.subject = ev.subject;
    if (ev.time !== undefined) event.time = ev.time;
    return { decoded: ev, event };
  };

  // ---- handling ----------------------------------------------------------------------------
  type Handled = { ok: true; reply: OutgoingEvent | undefined; trace: EventTrace } | ({ ok: false; trace: EventTrace; error: unknown } & Mapped);

  const handleOne = async (v: Validated, batch: boolean): Promise<Handled> => {
    const ev = v.decoded;
    const trace = beginEventTrace({
      id: ev.id,
      type: ev.type,
      source: ev.source,
      traceparent: ev.extensions.traceparent,
      tracestate: ev.extensions.tracestate,
    });
    const ctx = new HostContext(ev, trace, batch);
    active.add(ctx);
    armSweeper();
    let timedOut = false;
    try {
      const running = trace.run(() => invoke(def, v.event, ctx));
      const reply = await new Promise<CatalogEvent | undefined>((resolve, reject) => {
        ctx.expire = (err) => {
          timedOut = true;
          reject(err);
        };
        running.then(resolve, reject);
      });
      if (reply !== undefined) {
        checkReply(reply);
        if (batch) {
          await ctx.emit(reply);
          trace.end('ok');
          return { ok: true, reply: undefined, trace };
        }
      }
      trace.end('ok');
      return { ok: true, reply, trace };
    } catch (e) {
      if (timedOut) {
        // The handler keeps running after its deadline; keep it counted so shutdown waits for it.
        enter();
        invokeSettled(ctx).finally(leave);
      }
      const m = mapError(e);
      trace.end(m.outcome, e);
      return { ok: false, trace, error: e, ...m };
    } finally {
      ctx.expire = undefined;
      active.delete(ctx);
    }
  };

  // Deadlines: one shared sweeper instead of a timer per event. Every event gets the same timeout,
  // so `active` (a Set, iterated in insertion order) is also ordered by deadline and the sweep
  // stops at the first event still in time. Precision is a tenth of the timeout, at most 1 s.
  const sweepEveryMs = Math.min(1000, Math.max(5, Math.floor(config.KSCAPE_HANDLER_TIMEOUT / 10)));
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    const now = performance.now();
    for (const ctx of active) {
      if (ctx.deadline > now) break;
      if (!ctx.expire) continue;
      const err = new HandlerTimeoutError(`handler did not finish within ${config.KSCAPE_HANDLER_TIMEOUT} ms`);
      ctx.abort(err);
      ctx.expire(err);
      ctx.expire = undefined;
    }
    if (active.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const armSweeper = (): void => {
    if (sweeper) return;
    sweeper = setInterval(sweep, sweepEveryMs);
    // Never keeps the process alive on its own: in-flight requests already do.
    sweeper.unref();
  };

  const invoke = (d: HostedFunction, event: IncomingEvent | AnyIncomingEvent, ctx: HostContext): Promise<CatalogEvent | undefined> => {
    let p: Promise<CatalogEvent | undefined>;
    try {
      p = (d.handle as (e: typeof event, c: FunctionContext) => Promise<CatalogEvent | undefined>)(event, ctx);
    } catch (e) {
      p = Promise.reject(e);
    }
    // Remembered so a handler that outlives its deadline can still be awaited on shutdown.
    ctx.running = p;
    return p;
  };
  const invokeSettled = (ctx: HostContext): Promise<unknown> => (ctx.running ?? Promise.resolve()).catch(() => undefined);

  const checkReply = (reply: CatalogEvent): void => {
    if (typeof reply !== 'object' || reply === null || typeof reply.type !== 'string' || typeof reply.id !== 'string' || typeof reply.source !== 'string') {
      throw new Error('handler returned something that is not a CloudEvent');
    }
    // A reply of a consumed type would be routed straight back here by the broker, up to 255 times.
    if (consumes.has(reply.type)) throw new Error(`reply type ${reply.type} is consumed by ${def.name} itself: it would loop through the broker`);
  };

  const mapError = (e: unknown): Mapped => {
    if (e instanceof RateLimitedError) {
      const s = Math.max(1, Math.ceil(e.retryAfterSeconds));
      return { status: 429, outcome: 'rate_limited', problem: problem('rate-limited', 429, e.message), headers: { 'retry-after': String(s) } };
    }
    if (e instanceof HandlerTimeoutError || e instanceof ShutdownAbortError) return { status: 503, outcome: 'timeout', problem: problem('timeout', 503, e.message) };
    if (e instanceof TransientError) return { status: 503, outcome: 'transient_error', problem: problem('unavailable', 503, e.message) };
    if (e instanceof PermanentError) return { status: 400, outcome: 'permanent_error', problem: problem('rejected', 400, e.message) };
    return {
      status: 500,
      outcome: 'error',
      problem: problem('internal', 500, 'the function failed unexpectedly; details are in its logs'),
    };
  };

  // The one info line per handled event is written through a prepared line (lib/log/line.ts): the
  // same JSON pino writes, without its generic per-key pipeline, which was the host's largest
  // per-event cost after HTTP itself (bench/function-host.ts).
  const handledLine = lineWriter(log, 'info');
  const logOutcome = (ev: DecodedEvent, h: Handled, ms: number, status: number): void => {
    const rounded = Math.round(ms * 10) / 10;
    if (h.ok) {
      if (!log.isLevelEnabled('info')) return;
      const traceId = h.trace.traceId;
      if (handledLine) {
        const tid = traceId === undefined ? '' : `,"traceId":${JSON.stringify(traceId)}`;
        handledLine(
          `,"eventId":${JSON.stringify(ev.id)},"eventType":${JSON.stringify(ev.type)},"source":${JSON.stringify(ev.source)}${tid},"status":${status},"ms":${rounded}`,
          'event handled',
        );
      } else {
        log.info({ eventId: ev.id, eventType: ev.type, source: ev.source, traceId, status, ms: rounded }, 'event handled');
      }
      return;
    }
    const fields = { eventId: ev.id, eventType: ev.type, source: ev.source, traceId: h.trace.traceId, status, ms: rounded };
    if (h.status === 500) log.error({ ...fields, err: h.error }, 'event handler failed');
    else log.warn({ ...fields, err: h.error }, h.status === 400 ? 'event rejected by handler' : 'event handling failed, will be retried');
  };

  // ---- HTTP --------------------------------------------------------------------------------
  /** While draining every answer carries `Connection: close`, so keep-alive clients go elsewhere. */
  const answer = (a: HostAnswer): HostAnswer => {
    if (draining) a.headers.connection = 'close';
    return a;
  };
  const reject = (p: Problem, headers: Record<string, string> = {}): HostAnswer => answer(problemAnswer(p, headers));

  /**
   * `POST /`: everything from body limits to the answer. Shared by the hono route and the node:http
   * fast path (listener.ts), which differ only in how the answer reaches the socket. Never throws.
   */
  const answerPost = async (headers: HeaderBag, incoming: IncomingMessage | undefined, web: Request | undefined): Promise<HostAnswer> => {
    enter();
    const t0 = performance.now();
    try {
      const cl = declaredLength(headers['content-length'] as string | undefined);
      if (cl !== undefined && cl > limit) return tooLarge(cl);
      const body: BodyResult = incoming ? await readNodeBody(incoming, limit) : web ? await readWebBody(web, limit) : { ok: true, body: Buffer.alloc(0) };
      if (!body.ok) {
        if (body.reason === 'too-large') return tooLarge(undefined);
        return reject(problem('invalid-event', 400, 'the request body was not received completely'));
      }

      let msg;
      try {
        msg = decodeMessage(headers, body.body, config.KSCAPE_MAX_BATCH_EVENTS);
      } catch (e) {
        if (!(e instanceof EventDecodeError)) throw e;
        recordRejected(undefined);
        log.warn({ issues: e.issues.slice(0, 10) }, `request rejected: ${e.message}`);
        return reject(problem('invalid-event', 400, e.message, e.issues));
      }

      if (msg.mode !== 'batch') {
        const v = validate(msg.event, undefined);
        if (!('decoded' in v)) return rejectInvalid(msg.event, v);
        const h = await handleOne(v, false);
        const status = h.ok ? (h.reply ? 200 : 202) : h.status;
        logOutcome(msg.event, h, performance.now() - t0, status);
        if (!h.ok) return reject(h.problem, h.headers);
        if (!h.reply) return answer({ status: 202, headers: {}, body: '' });
        const out = encodeBinary(h.reply, traceAttrs(h.reply, msg.event, h.trace));
        return answer({ status: 200, headers: out.headers, body: out.body });
      }

      // Batch: validate everything first so an invalid member means no handler ran at all.
      const validated: Validated[] = [];
      const issues: ProblemIssue[] = [];
      msg.events.forEach((ev, i) => {
        const v = validate(ev, i);
        if ('decoded' in v) validated.push(v);
        else issues.push(...(v.errors ?? [{ path: `[${i}]`, message: v.detail ?? v.title }]));
      });
      if (issues.length) {
        for (const ev of msg.events) recordRejected(consumes.has(ev.type) ? ev.type : undefined);
        log.warn({ events: msg.events.length, issues: issues.slice(0, 10) }, 'batch rejected: invalid events');
        return reject(problem('invalid-data', 400, 'the batch holds events this function cannot accept', issues));
      }
      for (const v of validated) {
        const ts = performance.now();
        const h = await handleOne(v, true);
        logOutcome(v.decoded, h, performance.now() - ts, h.ok ? 202 : h.status);
        // Stop at the first failure: the broker redelivers the whole batch and handlers are idempotent.
        if (!h.ok) return reject(h.problem, h.headers);
      }
      return answer({ status: 202, headers: {}, body: '' });
    } catch (err) {
      return unexpected(err);
    } finally {
      leave();
    }
  };

  const unexpected = (err: unknown): HostAnswer => {
    log.error({ err }, 'unexpected error in the function host');
    return problemAnswer(problem('internal', 500, 'the function host failed unexpectedly; details are in its logs'));
  };

  const app = new Hono<Bindings>();
  app.post('/', async (c) => {
    const incoming: IncomingMessage | undefined = c.env?.incoming;
    const headers: HeaderBag = incoming ? incoming.headers : Object.fromEntries(c.req.raw.headers);
    return toResponse(await answerPost(headers, incoming, incoming ? undefined : c.req.raw));
  });

  const rejectInvalid = (ev: DecodedEvent, p: Problem): HostAnswer => {
    recordRejected(consumes.has(ev.type) ? ev.type : undefined);
    log.warn({ eventId: ev.id, eventType: ev.type, source: ev.source, issues: p.errors?.slice(0, 10) }, `event rejected: ${p.title}`);
    return reject(p);
  };

  const tooLarge = (declared: number | undefined): HostAnswer => {
    log.warn({ limit, contentLength: declared }, 'request rejected: body larger than KSCAPE_MAX_BODY_BYTES');
    // Close the connection: the rest of the body is never read, so the stream cannot be reused.
    return problemAnswer(problem('payload-too-large', 413, `the body exceeds ${limit} bytes`), { connection: 'close' });
  };

  let lastReady: boolean | undefined;
  const readiness = async (): Promise<Response> => {
    if (draining) return problemResponse(problem('not-ready', 503, 'shutting down'), { connection: 'close' });
    try {
      const details = def.ready ? await def.ready() : undefined;
      if (lastReady === false) log.info('ready again');
      lastReady = true;
      if (details) return Response.json({ status: 'ok', ...details });
      return new Response('ok', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    } catch (e) {
      // Log transitions only: probes run every few seconds.
      if (lastReady !== false) log.warn({ err: e }, 'not ready');
      lastReady = false;
      return problemResponse(problem('not-ready', 503, 'a dependency is not ready; details are in the logs'));
    }
  };
  app.get('/health/readiness', readiness);
  app.get('/health/liveness', () => new Response('ok', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } }));

  const notAllowed = (allow: string) => (): Response =>
    problemResponse(problem('method-not-allowed', 405, `use ${allow}`), { allow });
  app.all('/', notAllowed('POST'));
  app.all('/health/readiness', notAllowed('GET, HEAD'));
  app.all('/health/liveness', notAllowed('GET, HEAD'));
  app.notFound((c: HonoContext) => problemResponse(problem('not-found', 404, `no route for ${c.req.method} ${c.req.path}; events go to POST /`)));
  app.onError((err) => {
    log.error({ err }, 'unexpected error in the function host');
    return problemResponse(problem('internal', 500, 'the function host failed unexpectedly; details are in its logs'));
  });

  hosts.set(app, host);
  return app;
}

function eventBindings(ev: DecodedEvent, trace: EventTrace): Record<string, string | undefined> {
  return { eventId: ev.id, eventType: ev.type, source: ev.source, traceId: trace.traceId };
}

/**
 * Trace context for an outgoing event: this event's span context, unless the handler deliberately
 * set a different traceparent than the incoming one (e.g. to continue another trace).
 */
function traceAttrs(out: OutgoingEvent, incoming: DecodedEvent, trace: EventTrace): Record<string, string | undefined> {
  if (!trace.traceparent) return {};
  const current = (out as unknown as Record<string, unknown>).traceparent;
  if (current === undefined || current === incoming.extensions.traceparent || current === trace.traceparent) {
    return { traceparent: trace.traceparent, tracestate: trace.tracestate };
  }
  return {};
}
