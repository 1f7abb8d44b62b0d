/**
 * Watch fan-out: ONE poller per Store reads the event log in seq order and offers each event to
 * the local watchers, which filter it and buffer it for their consumer.
 *
 * Wake-ups: this process's own writes kick the poller directly; other replicas' writes arrive as
 * NOTIFY storage_events; a slow fallback timer covers lost notifications (LISTEN reconnects also
 * trigger a poll). The payload is never trusted: the poller always reads `seq > lastSeq`, so
 * coalesced, duplicated or lost notifications cost latency, never events.
 *
 * Exactly-once, in order: writers commit in seq order and seqs are gap-free (see the migration),
 * so the log as seen by any snapshot is a contiguous prefix. The poller asserts contiguity.
 *
 * Resume (`sinceResourceVersion`): a new watcher joins the hub immediately, in "catch-up" mode, so
 * everything the poller dispatches from then on lands in its `pending` list; meanwhile it replays
 * the log from its own position with its own queries (paced by its consumer) until it reaches the
 * end of the log, then appends the pending events with seq > its position and goes live. Every
 * event is therefore seen by the replay or by pending (or both, deduplicated by seq).
 *
 * Memory: each watcher buffers at most `bufferSize` events; a consumer that falls further behind is
 * closed with WatchOverflowError (a GoneError: the engine sends 410 and the client re-lists), so
 * one slow client can neither block the others nor grow memory without bound. Event objects are
 * shared between watchers (consumers must not mutate them).
 */
import type { Database } from '../../lib/db/index.js';
import { isUnavailable } from '../../lib/db/index.js';
import type { Logger } from '../../lib/log/index.js';
import { matchFields, matchLabels } from './filter.js';
import {
  GoneError,
  UnavailableError,
  type FieldRequirement,
  type LabelRequirement,
  type ObjectMeta,
  type StoredEvent,
  type StoredObject,
  type WatchEventType,
  type WatchHandle,
  type WatchOptions,
} from './types.js';

/** The watcher fell too far behind; its client must re-list (410). */
export class WatchOverflowError extends GoneError {
  override name = 'WatchOverflowError';
}

export interface EventRow {
  seq: string;
  resource: string;
  namespace: string;
  name: string;
  type: WatchEventType;
  uid: string;
  metadata: Record<string, unknown>;
  labels: Record<string, string> | null;
  prev_labels: Record<string, string> | null;
  summary: Record<string, unknown> | null;
  body?: string | null;
}

/** One log event, with the two shared object shapes built lazily. */
class LogEvent {
  readonly seq: number;
  body: string | undefined;
  /** performance.now() when the commit became known here (see StoredEvent.observedAt). */
  observedAt: number | undefined;
  private meta: StoredObject | undefined;
  private full: StoredObject | undefined;
  constructor(readonly row: EventRow) {
    this.seq = Number(row.seq);
    if (typeof row.body === 'string') this.body = row.body;
    (row.metadata as ObjectMeta).resourceVersion = row.seq;
  }
  private base(): StoredObject {
    const r = this.row;
    const o: StoredObject = {
      resource: r.resource,
      namespace: r.namespace,
      name: r.name,
      uid: r.uid,
      resourceVersion: r.seq,
      metadata: r.metadata as ObjectMeta,
    };
    if (r.summary !== null && r.summary !== undefined) o.summary = r.summary;
    return o;
  }
  object(withBody: boolean): StoredObject {
    if (!withBody) return (this.meta ??= this.base());
    if (this.body === undefined) throw new Error(`body of event ${this.seq} was not loaded`);
    return (this.full ??= { ...this.base(), body: this.body });
  }
  private metaEvent: StoredEvent | undefined;
  private fullEvent: StoredEvent | undefined;
  /** The event as most watchers get it (its own type): one shared object, not one per watcher. */
  event(type: WatchEventType, withBody: boolean): StoredEvent {
    if (type !== this.row.type) return this.build(type, withBody);
    return withBody ? (this.fullEvent ??= this.build(type, true)) : (this.metaEvent ??= this.build(type, false));
  }
  private build(type: WatchEventType, withBody: boolean): StoredEvent {
    const out: StoredEvent = { type, object: this.object(withBody) };
    if (this.observedAt !== undefined) out.observedAt = this.observedAt;
    return out;
  }
}

export interface HubOptions {
  pollIntervalMs: number;
  bufferSize: number;
  /**
   * Upper bound (ms) of the adaptive pause between two log reads. After each dispatch the next
   * read waits COALESCE_FACTOR times what the dispatch (including the consumers' socket writes in
   * the same turn) cost, capped here: with many watchers, events are fanned out in bursts (one
   * socket write per watcher per burst) instead of one write per watcher per commit, which is
   * what keeps 1,000 watchers at 200 writes/s within one core. 0 disables it.
   */
  coalesceMs?: number;
  /** Events per log read. */
  pageSize?: number;
}

/** Dispatch may use at most ~1/(1+COALESCE_FACTOR) of the event loop before bursts grow instead. */
const COALESCE_FACTOR = 3;
/** Bound of the committed-bodies cache (entries normally live until the next poll). */
const OWN_BODIES_MAX = 10_000;

const eventCols = (a: string): string =>
  `${a}.seq AS n, ${a}.seq::text AS seq, ${a}.resource, ${a}.namespace, ${a}.name, ${a}.type, ${a}.uid, ${a}.metadata, ${a}.summary, ${a}.labels, ${a}.prev_labels`;

/**
 * An event's body: the event of an object's current version stores none (the body is written once,
 * into storage_objects; migration 0004), superseded versions and DELETED events carry theirs. In
 * one statement's snapshot the two cannot disagree: superseding a version fills its event body in
 * the same transaction.
 */
const EVENT_BODY = `coalesce(e.body, obj.body)`;
const EVENT_BODY_JOIN = `LEFT JOIN storage_objects obj
  ON e.body IS NULL AND obj.resource = e.resource AND obj.namespace = e.namespace AND obj.name = e.name AND obj.resource_version = e.seq`;

export class WatchHub {
  private lastSeq = 0;
  private readonly watchers = new Set<Watcher>();
  /** Same watchers by resource: an event is only offered to watchers of its resource. */
  private readonly byResource = new Map<string, Set<Watcher>>();
  private polling = false;
  private again = false;
  /** A poll is due: waiting for its coalescing delay. */
  private scheduled: NodeJS.Timeout | undefined;
  /** When the oldest commit not yet covered by a started poll became known. */
  private kickedAt: number | undefined;
  /** Earliest start of the next poll (coalescing, see HubOptions.coalesceMs). */
  private nextPollAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private closed = false;
  /** Commits were skipped while nobody watched (see kick). */
  private idleBehind = false;
  /** Bumped on each registration: lets a poll that skipped reading know a watcher appeared. */
  private registrations = 0;
  readonly pageSize: number;
  /** Counters for tests and metrics. */
  readonly stats = {
    polls: 0,
    eventsRead: 0,
    bodyFetches: 0,
    overflows: 0,
    dispatches: 0,
    dispatchMs: 0,
    /** Sum over log reads of: commit known → read started (coalescing, a dispatch still running), and the read itself (query, bodies). */
    pollWaitMs: 0,
    pollReadMs: 0,
  };

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly opts: HubOptions,
  ) {
    // A poll dispatches a page synchronously: it must fit in a watcher's buffer, or a burst would
    // overflow even consumers that keep up (they drain between pages, while the next read is awaited).
    this.pageSize = Math.max(1, Math.min(opts.pageSize ?? 500, opts.bufferSize));
  }

  async start(): Promise<void> {
    const { rows } = await this.db.query<{ v: string }>(`SELECT value::text AS v FROM storage_state WHERE key = 'rv'`);
    this.lastSeq = Number(rows[0]?.v ?? 0);
    this.unlisten = await this.db.listen('storage_events', () => this.kick(), { onResync: () => this.kick() });
    this.timer = setInterval(() => this.kick(false), this.opts.pollIntervalMs);
    this.timer.unref();
  }

  get position(): number {
    return this.lastSeq;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Read new events (coalesced with a poll already running or due). `commit`: a change was
   * committed (own write or NOTIFY), as opposed to the fallback timer.
   */
  kick(commit = true): void {
    if (this.closed) return;
    if (commit && this.watchers.size === 0) {
      // Nobody to deliver to: the fallback timer moves the position forward (one query per
      // interval instead of one per commit); the next registration catches up at once.
      this.idleBehind = true;
      return;
    }
    if (commit) this.kickedAt ??= performance.now();
    if (this.polling) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    const wait = this.nextPollAt - performance.now();
    if (wait >= 1) {
      this.scheduled = setTimeout(() => this.runPoll(), wait);
      return;
    }
    this.runPoll();
  }

  private runPoll(): void {
    this.scheduled = undefined;
    if (this.closed) return;
    this.polling = true;
    this.again = false;
    const observed = this.kickedAt;
    this.kickedAt = undefined;
    if (observed !== undefined) this.stats.pollWaitMs += performance.now() - observed;
    void this.poll(observed)
      .catch((e: unknown) => {
        // Transient (database down): the next kick or timer tick retries from lastSeq.
        if (!this.closed) this.log.warn({ err: e }, 'watch poll failed');
      })
      .finally(() => {
        this.polling = false;
        if (this.again) this.kick(false);
      });
  }

  private async poll(observed?: number): Promise<void> {
    this.stats.polls++;
    if (this.watchers.size === 0) {
      // Nobody to deliver to: just move the position forward without reading the log. Only valid
      // if no watcher registered meanwhile (it would rely on us dispatching what we skip).
      const gen = this.registrations;
      const { rows } = await this.db.query<{ v: string }>(`SELECT value::text AS v FROM storage_state WHERE key = 'rv'`);
      if (this.watchers.size === 0 && gen === this.registrations) {
        this.lastSeq = Math.max(this.lastSeq, Number(rows[0]?.v ?? 0));
        return;
      }
    }
    for (;;) {
      if (this.closed) return;
      const tRead = performance.now();
      const { rows } = await this.db.query<EventRow & { compacted: string }>(
        `SELECT c.value::text AS compacted, e.*
           FROM storage_state c
           LEFT JOIN LATERAL (
             SELECT ${eventCols('ev')} FROM storage_events ev WHERE ev.seq > $1 ORDER BY ev.seq LIMIT $2
           ) e ON true
          WHERE c.key = 'compacted_rv'
          ORDER BY e.n`,
        [this.lastSeq, this.pageSize],
      );
      const compacted = Number(rows[0]?.compacted ?? 0);
      if (compacted > this.lastSeq) {
        // We were stalled past the retention window: history is gone for every watcher.
        await this.resetAll(`watch history compacted past ${this.lastSeq} (compacted at ${compacted})`);
        return;
      }
      const events = rows.filter((r) => r.seq !== null).map((r) => new LogEvent(r));
      if (events.length === 0) return;
      let expect = this.lastSeq + 1;
      for (const ev of events) {
        if (ev.seq !== expect) {
          // Cannot happen while writers serialise on the rv row; refuse to guess if it does.
          this.log.error({ expected: expect, got: ev.seq }, 'gap in the event log; resetting watchers');
          await this.resetAll(`gap in the event log at ${expect}`);
          return;
        }
        expect++;
      }
      this.stats.eventsRead += events.length;
      await this.loadBodies(events);
      const t0 = performance.now();
      this.stats.pollReadMs += t0 - tRead;
      // Each own commit from the moment its write returned; others from the first wake-up.
      for (const ev of events) ev.observedAt = this.ownSeen.get(ev.seq) ?? observed ?? t0;
      // Dispatch and advance synchronously: a watcher registering now either sees these in its
      // pending list (registered before this line) or reads them itself (registered after).
      for (const ev of events) {
        const set = this.byResource.get(ev.row.resource);
        if (set) for (const w of set) w.offer(ev);
      }
      this.lastSeq = events[events.length - 1]!.seq;
      if (this.ownBodies.size) this.dropOwnBodies(this.lastSeq);
      if (this.opts.coalesceMs) {
        // The consumers woken above write to their sockets in this same turn; one macrotask
        // later all of it is done, and its cost sets the pause before the next read.
        await new Promise<void>((r) => setImmediate(r));
        const cost = performance.now() - t0;
        this.nextPollAt = t0 + Math.min(this.opts.coalesceMs, cost * COALESCE_FACTOR);
        this.stats.dispatchMs += cost;
      }
      this.stats.dispatches++;
      if (events.length < this.pageSize) return;
    }
  }

  /**
   * Bodies this process has just committed, by seq: the poll that dispatches them needs no body
   * query (one round trip less between commit and delivery). Only kept while some watcher wants
   * bodies, dropped once dispatched, and bounded.
   */
  private readonly ownBodies = new Map<number, string>();
  /** When each of those commits became known (performance.now()), for StoredEvent.observedAt. */
  private readonly ownSeen = new Map<number, number>();
  private bodyWatchers = 0;

  /**
   * Own writes between "sent" and "bodies noted": a poll woken by the NOTIFY (or the fallback
   * timer) can see such a commit before the write path has handed its body over.
   */
  private writesInFlight = 0;
  private writeWaiters: (() => void)[] = [];

  /** Marks a write batch as in flight; call the returned function once its bodies are noted (or it failed). */
  writeStarted(): () => void {
    this.writesInFlight++;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      if (--this.writesInFlight > 0) return;
      const ws = this.writeWaiters;
      this.writeWaiters = [];
      for (const w of ws) w();
    };
  }

  noteCommitted(seq: number, body: string): void {
    if (this.bodyWatchers === 0 || seq <= this.lastSeq) return;
    if (this.ownBodies.size >= OWN_BODIES_MAX) {
      this.ownBodies.clear();
      this.ownSeen.clear();
    }
    this.ownBodies.set(seq, body);
    this.ownSeen.set(seq, performance.now());
  }

  private dropOwnBodies(upTo: number): void {
    // Insertion order is commit order: stop at the first one not yet dispatched.
    for (const seq of this.ownBodies.keys()) {
      if (seq > upTo) break;
      this.ownBodies.delete(seq);
      this.ownSeen.delete(seq);
    }
  }

  /** Fetch bodies of the events some body-watcher will receive; loops if watchers join meanwhile. */
  private async loadBodies(events: LogEvent[]): Promise<void> {
    let waited = false;
    for (;;) {
      const need: string[] = [];
      for (const ev of events) {
        if (ev.body !== undefined) continue;
        const own = this.ownBodies.get(ev.seq);
        if (own !== undefined) {
          ev.body = own;
          continue;
        }
        for (const w of this.byResource.get(ev.row.resource) ?? [])
          if (w.withBody && w.mayWant(ev)) {
            need.push(ev.row.seq);
            break;
          }
      }
      if (need.length === 0) return;
      // Some of these may be this process's own commits whose bodies are about to be noted: wait
      // once for the writes in flight (bounded by one batch), then look again before querying.
      if (!waited && this.writesInFlight > 0) {
        waited = true;
        await new Promise<void>((r) => this.writeWaiters.push(r));
        continue;
      }
      this.stats.bodyFetches++;
      const { rows } = await this.db.query<{ seq: string; body: string | null }>(
        `SELECT e.seq::text AS seq, ${EVENT_BODY} AS body FROM storage_events e ${EVENT_BODY_JOIN} WHERE e.seq = ANY($1::bigint[])`,
        [need],
      );
      const bySeq = new Map(rows.map((r) => [r.seq, r.body]));
      for (const ev of events) {
        if (!need.includes(ev.row.seq)) continue;
        // A body compacted away between the two reads: deliver an empty object body rather than
        // stall the stream (only possible for events older than the retention window).
        ev.body = bySeq.get(ev.row.seq) ?? '{}';
      }
    }
  }

  private async resetAll(reason: string): Promise<void> {
    for (const w of [...this.watchers]) w.fail(new GoneError(`too old resource version: ${reason}`));
    const { rows } = await this.db.query<{ v: string }>(`SELECT value::text AS v FROM storage_state WHERE key = 'rv'`);
    this.lastSeq = Number(rows[0]?.v ?? this.lastSeq);
  }

  watch(opts: WatchOptions): WatchHandle {
    if (this.closed) throw new UnavailableError('store closed');
    const w = new Watcher(this, opts, this.opts.bufferSize);
    this.registrations++;
    this.watchers.add(w);
    let set = this.byResource.get(opts.resource);
    if (!set) this.byResource.set(opts.resource, (set = new Set()));
    set.add(w);
    if (w.withBody) this.bodyWatchers++;
    void w.start();
    if (this.idleBehind) {
      this.idleBehind = false;
      this.kick();
    }
    return w;
  }

  remove(w: Watcher): void {
    if (this.watchers.delete(w) && w.withBody && --this.bodyWatchers === 0) {
      this.ownBodies.clear();
      this.ownSeen.clear();
    }
    const set = this.byResource.get(w.resource);
    if (set) {
      set.delete(w);
      if (set.size === 0) this.byResource.delete(w.resource);
    }
  }

  noteOverflow(): void {
    this.stats.overflows++;
  }

  /** Replay page for a catching-up watcher (filtered by resource/namespace in SQL). */
  async readLog(after: number, opts: WatchOptions, limit: number): Promise<{ compacted: number; current: number; events: LogEvent[] }> {
    const params: unknown[] = [after, limit, opts.resource];
    let nsClause = '';
    if (opts.namespace !== undefined) {
      params.push(opts.namespace);
      nsClause = ` AND e.namespace = $4`;
    }
    const { rows } = await this.db.query<EventRow & { compacted: string; cur: string }>(
      `SELECT c.compacted, c.cur, e.*
         FROM (SELECT (SELECT value::text FROM storage_state WHERE key = 'compacted_rv') AS compacted,
                      (SELECT value::text FROM storage_state WHERE key = 'rv') AS cur) c
         LEFT JOIN LATERAL (
           SELECT ${eventCols('e')}${opts.withBody ? `, ${EVENT_BODY} AS body` : ''}
             FROM storage_events e ${opts.withBody ? EVENT_BODY_JOIN : ''}
            WHERE e.seq > $1 AND e.resource = $3${nsClause}
            ORDER BY e.seq LIMIT $2
         ) e ON true
        ORDER BY e.n`,
      params,
    );
    return {
      compacted: Number(rows[0]?.compacted ?? 0),
      current: Number(rows[0]?.cur ?? 0),
      events: rows.filter((r) => r.seq !== null).map((r) => new LogEvent(r)),
    };
  }

  /**
   * Current RV, single-flight: a burst of watches (every informer reconnecting after a restart)
   * shares one query instead of draining the pool. A caller arriving while a query is in flight
   * waits for the NEXT one, because the in-flight one may predate the caller's request.
   */
  currentRv(): Promise<number> {
    if (this.rvNext) return this.rvNext;
    const run = (): Promise<number> => {
      const p = this.db
        .query<{ v: string }>(`SELECT value::text AS v FROM storage_state WHERE key = 'rv'`)
        .then((r) => Number(r.rows[0]?.v ?? 0));
      this.rvInFlight = p;
      void p.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        if (this.rvInFlight === p) this.rvInFlight = undefined;
      });
      return p;
    };
    if (!this.rvInFlight) return run();
    const next = this.rvInFlight.then(run, run);
    this.rvNext = next;
    void next.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      if (this.rvNext === next) this.rvNext = undefined;
    });
    return next;
  }
  private rvInFlight: Promise<number> | undefined;
  private rvNext: Promise<number> | undefined;

  /** Bounds concurrent replay reads so a reconnect storm cannot starve writes and lists of connections. */
  async withReadSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.readSlots <= 0) await new Promise<void>((r) => this.readWaiters.push(r));
    this.readSlots--;
    try {
      return await fn();
    } finally {
      this.readSlots++;
      this.readWaiters.shift()?.();
    }
  }
  private readSlots = 4;
  private readonly readWaiters: (() => void)[] = [];

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.scheduled) clearTimeout(this.scheduled);
    for (const w of [...this.watchers]) w.close();
    await this.unlisten?.().catch(() => undefined);
  }
}

type Mode = 'catchup' | 'live' | 'done';

class Watcher implements WatchHandle {
  readonly withBody: boolean;
  readonly resource: string;
  // The filter as own fields of one class shape: mayWant/translate run once per event per
  // watcher (200,000 times a second with 1,000 watchers), so no spread-object property lookups.
  private readonly namespace: string | undefined;
  private readonly fields: FieldRequirement[] | undefined;
  private readonly labels: LabelRequirement[] | undefined;
  private mode: Mode = 'catchup';
  private get done(): boolean {
    return this.mode === 'done';
  }
  private pos = 0;
  private pending: LogEvent[] = [];
  /** Pending overflowed during catch-up and was dropped: go live only once past the poller. */
  private pendingLost = false;
  private queue: StoredEvent[] = [];
  private head = 0;
  private error: Error | undefined;
  private waiter: ((v: void) => void) | undefined;
  private roomWaiter: (() => void) | undefined;

  constructor(
    private readonly hub: WatchHub,
    private readonly opts: WatchOptions,
    private readonly bufferSize: number,
  ) {
    this.withBody = opts.withBody;
    this.resource = opts.resource;
    this.namespace = opts.namespace;
    this.fields = opts.fields?.length ? opts.fields : undefined;
    this.labels = opts.labels?.length ? opts.labels : undefined;
  }

  /** Cheap pre-filter (resource/namespace/fields) used to decide whether to fetch a body. */
  mayWant(ev: LogEvent): boolean {
    const r = ev.row;
    if (r.resource !== this.resource) return false;
    if (this.namespace !== undefined && r.namespace !== this.namespace) return false;
    return this.fields === undefined || matchFields(r, this.fields);
  }

  /** The event as this watcher sees it, or undefined when it is not for us. */
  private translate(ev: LogEvent): StoredEvent | undefined {
    if (!this.mayWant(ev)) return undefined;
    const r = ev.row;
    const reqs = this.labels;
    let type: WatchEventType = r.type;
    if (reqs) {
      const now = matchLabels(r.labels, reqs);
      if (r.type === 'MODIFIED') {
        const before = r.prev_labels ? matchLabels(r.prev_labels, reqs) : now;
        if (!now && !before) return undefined;
        // kube cacher semantics: entering the selection is ADDED, leaving it is DELETED.
        if (now && !before) type = 'ADDED';
        else if (!now && before) type = 'DELETED';
      } else if (!now) return undefined;
    }
    return ev.event(type, this.withBody);
  }

  offer(ev: LogEvent): void {
    if (this.mode === 'done') return;
    if (this.mode === 'catchup') {
      if (this.pendingLost || !this.mayWant(ev)) return;
      if (this.pending.length >= this.bufferSize) {
        // Do not fail: everything dropped here is still in the log, and the catch-up keeps
        // reading it until it has passed the poller's position (see start()).
        this.pending = [];
        this.pendingLost = true;
        return;
      }
      this.pending.push(ev);
      return;
    }
    if (ev.seq <= this.pos) return;
    this.pos = ev.seq;
    const out = this.translate(ev);
    if (out) this.push(out);
  }

  private push(e: StoredEvent): void {
    if (this.queue.length - this.head >= this.bufferSize) return this.overflow();
    this.queue.push(e);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private overflow(): void {
    this.hub.noteOverflow();
    this.fail(new WatchOverflowError(`watcher fell more than ${this.bufferSize} events behind; re-list and watch again`));
  }

  async start(): Promise<void> {
    try {
      if (this.opts.sinceResourceVersion === undefined) this.pos = await this.hub.currentRv();
      else {
        const s = this.opts.sinceResourceVersion;
        if (!/^(0|[1-9][0-9]{0,17})$/.test(s)) throw new GoneError(`invalid resource version ${JSON.stringify(s)}`);
        this.pos = Number(s);
      }
      // Already at or past what the poller has dispatched: it will deliver everything after us,
      // and what it dispatched since we registered is in pending. No log read needed (the
      // common case for "watch from now" and for resuming right after a list).
      if (this.hub.position <= this.pos) return this.goLive();
      for (;;) {
        if (this.done) return;
        await this.waitForRoom();
        if (this.done) return;
        const limit = Math.max(1, Math.min(this.hub.pageSize, this.bufferSize));
        const { compacted, current, events } = await this.hub.withReadSlot(() => this.hub.readLog(this.pos, this.opts, limit));
        if (compacted > this.pos) throw new GoneError(`too old resource version: ${this.pos} (${compacted})`);
        for (const ev of events) {
          this.pos = ev.seq;
          const out = this.translate(ev);
          if (out) this.queue.push(out);
        }
        if (events.length) this.wake();
        // A short page returned every matching event up to `current` (same snapshot): the events
        // in between are other resources/namespaces, so we are positioned at `current`.
        if (events.length < limit) this.pos = Math.max(this.pos, current);
        // End of the log. With pending intact, it covers everything the poller dispatched since
        // we registered. Without it, we may go live only if the poller has not dispatched past
        // our position: it then delivers everything after it (duplicates are dropped by seq).
        if (events.length < limit && (!this.pendingLost || this.hub.position <= this.pos)) break;
      }
      this.goLive();
    } catch (e) {
      this.fail(
        e instanceof GoneError ? e : isUnavailable(e) ? new UnavailableError('database unavailable', { cause: e }) : (e as Error),
      );
    }
  }

  /** Caught up: what the poller dispatched while we were reading follows without a gap. */
  private goLive(): void {
    if (this.done) return;
    const pending = this.pending;
    this.pending = [];
    this.mode = 'live';
    for (const ev of pending) this.offer(ev);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Catch-up pacing: read the next page only when the consumer has drained half the buffer. */
  private waitForRoom(): Promise<void> {
    if (this.queue.length - this.head < Math.max(1, this.bufferSize / 2)) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiter = resolve;
    });
  }

  fail(err: Error): void {
    if (this.mode === 'done') return;
    this.error = err;
    this.finish();
  }

  close(): void {
    this.finish();
  }

  private finish(): void {
    if (this.mode === 'done') return;
    this.mode = 'done';
    this.pending = [];
    this.hub.remove(this);
    this.wake();
    const r = this.roomWaiter;
    this.roomWaiter = undefined;
    r?.();
  }

  /** The next buffered result, the pending error, or undefined when the consumer must wait. */
  private takeNext(): IteratorResult<StoredEvent> | Error | undefined {
    if (this.error) {
      const e = this.error;
      this.error = undefined;
      this.queue = [];
      this.head = 0;
      return e;
    }
    if (this.head < this.queue.length) {
      const v = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (this.roomWaiter && this.queue.length - this.head < this.bufferSize / 2) {
        const r = this.roomWaiter;
        this.roomWaiter = undefined;
        r();
      }
      return { value: v, done: false };
    }
    if (this.mode === 'done') return { value: undefined, done: true };
    return undefined;
  }

  /** Everything buffered, the pending error, null when done, or undefined when the consumer must wait. */
  private takeAll(): StoredEvent[] | Error | null | undefined {
    if (this.error) {
      const e = this.error;
      this.error = undefined;
      this.queue = [];
      this.head = 0;
      return e;
    }
    if (this.head < this.queue.length) {
      const out = this.head === 0 ? this.queue : this.queue.slice(this.head);
      this.queue = [];
      this.head = 0;
      const r = this.roomWaiter;
      this.roomWaiter = undefined;
      r?.();
      return out;
    }
    if (this.mode === 'done') return null;
    return undefined;
  }

  nextBatch(): Promise<StoredEvent[] | undefined> {
    const r = this.takeAll();
    if (r instanceof Error) return Promise.reject(r);
    if (r === null) return Promise.resolve(undefined);
    if (r) return Promise.resolve(r);
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    }).then(() => this.nextBatch());
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    // Not an async function: the fast path (events buffered) allocates one settled promise only;
    // with 1,000 watchers this is the hottest code of the fan-out.
    const next = (): Promise<IteratorResult<StoredEvent>> => {
      const r = this.takeNext();
      if (r instanceof Error) return Promise.reject(r);
      if (r) return Promise.resolve(r);
      return new Promise<void>((resolve) => {
        this.waiter = resolve;
      }).then(next);
    };
    return {
      next,
      return: (): Promise<IteratorResult<StoredEvent>> => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
