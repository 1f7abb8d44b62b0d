/**
 * At-least-once delivery means every event may arrive twice (retries, broker redelivery, replicas).
 * Handlers should be idempotent by construction; where an effect cannot be (an outgoing webhook, an
 * email), an IdempotencyStore records which events were already processed, keyed by the CloudEvents
 * `source` + `id` pair the spec makes unique.
 *
 * Protocol: `claim` before the effect → 'new' (go ahead), 'duplicate' (already done: skip) or
 * 'in-progress' (another attempt holds it: retry later). Then `complete` on success or `release`
 * on failure so the redelivery can try again. A claim is a lease: when it expires without
 * complete/release (crashed replica) the key can be claimed again.
 */
import { RateLimitedError } from './errors.js';
import type { FunctionContext, IncomingEvent } from './types.js';
import type { CatalogEvent } from '../../lib/events/index.js';

export type ClaimResult = 'new' | 'duplicate' | 'in-progress';

export interface IdempotencyStore {
  /** Claim (source, id) for `ttlMs`: the lease while in progress and the memory once completed. */
  claim(source: string, id: string, ttlMs: number): Promise<ClaimResult>;
  /** Mark as done; the key is remembered for `ttlMs` (default: the claim's ttl) from now. */
  complete(source: string, id: string, ttlMs?: number): Promise<void>;
  /** Forget a claim after a failure, so a redelivery is processed. */
  release(source: string, id: string): Promise<void>;
}

const MAX_KEY_PART = 1024;

function checkKey(source: string, id: string): void {
  if (!source || !id) throw new TypeError('idempotency keys need a non-empty source and id');
  if (source.length > MAX_KEY_PART || id.length > MAX_KEY_PART) throw new TypeError(`idempotency key parts are limited to ${MAX_KEY_PART} characters`);
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number');
}

// ---------------------------------------------------------------------------------------------
// In memory: per replica only. Good for dev mode and for collapsing retries that hit the same pod.

interface Entry {
  state: 'in-progress' | 'done';
  expires: number;
  ttl: number;
}

export interface MemoryIdempotencyOptions {
  /** Bound on remembered keys; the least recently used is evicted first. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: MemoryIdempotencyOptions = {}) {
    this.max = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(this.max) || this.max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  private key(source: string, id: string): string {
    // A NUL cannot appear in either part of a valid CloudEvent attribute, so the join is unambiguous.
    return `${source}\u0000${id}`;
  }

  async claim(source: string, id: string, ttlMs: number): Promise<ClaimResult> {
    checkKey(source, id);
    checkTtl(ttlMs);
    const k = this.key(source, id);
    const now = this.now();
    const e = this.entries.get(k);
    if (e && e.expires > now) {
      // Refresh recency: Map iteration order is insertion order, which is our LRU order.
      this.entries.delete(k);
      this.entries.set(k, e);
      return e.state === 'done' ? 'duplicate' : 'in-progress';
    }
    if (e) this.entries.delete(k);
    this.entries.set(k, { state: 'in-progress', expires: now + ttlMs, ttl: ttlMs });
    this.evict(now);
    return 'new';
  }

  async complete(source: string, id: string, ttlMs?: number): Promise<void> {
    checkKey(source, id);
    if (ttlMs !== undefined) checkTtl(ttlMs);
    const k = this.key(source, id);
    const e = this.entries.get(k);
    const ttl = ttlMs ?? e?.ttl;
    if (ttl === undefined) return; // evicted meanwhile: nothing to remember it by
    this.entries.delete(k);
    this.entries.set(k, { state: 'done', expires: this.now() + ttl, ttl });
    this.evict(this.now());
  }

  async release(source: string, id: string): Promise<void> {
    checkKey(source, id);
    this.entries.delete(this.key(source, id));
  }

  private evict(now: number): void {
    if (this.entries.size <= this.max) return;
    // Expired entries go first wherever they are; then the least recently used.
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.max) return;
      if (e.expires <= now) this.entries.delete(k);
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.max) return;
      this.entries.delete(k);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SQL: shared by all replicas. Works with a pg Pool/Client and with PGlite, which share `query`.

export interface SqlExecutor {
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface SqlIdempotencyOptions {
  /** Table name, optionally schema-qualified; default `kscape_idempotency`. */
  table?: string;
  /** Delete up to this many expired rows every `purgeEvery` claims (0 disables). */
  purgeEvery?: number;
  purgeBatch?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export class SqlIdempotencyStore implements IdempotencyStore {
  private readonly table: string;
  private ready: Promise<void> | undefined;
  private claims = 0;
  private readonly purgeEvery: number;
  private readonly purgeBatch: number;

  constructor(
    private readonly db: SqlExecutor,
    opts: SqlIdempotencyOptions = {},
  ) {
    const name = opts.table ?? 'kscape_idempotency';
    const parts = name.split('.');
    if (parts.length > 2 || !parts.every((p) => IDENT.test(p))) throw new TypeError(`invalid table name ${JSON.stringify(name)}`);
    // Identifiers are validated above, so quoting is only for reserved words.
    this.table = parts.map((p) => `"${p}"`).join('.');
    this.purgeEvery = opts.purgeEvery ?? 1000;
    this.purgeBatch = opts.purgeBatch ?? 1000;
  }

  /** Create the table if missing. Called lazily by the other methods; safe to call concurrently. */
  init(): Promise<void> {
    return (this.ready ??= (async () => {
      try {
        await this.db.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (
             source text NOT NULL,
             id text NOT NULL,
             state text NOT NULL CHECK (state IN ('in-progress', 'done')),
             expires_at timestamptz NOT NULL,
             PRIMARY KEY (source, id)
           )`,
          [],
        );
      } catch (e) {
        // Two replicas racing CREATE TABLE IF NOT EXISTS can collide on the catalog: the table exists.
        const code = (e as { code?: unknown }).code;
        if (code !== '23505' && code !== '42P07') {
          this.ready = undefined;
          throw e;
        }
      }
    })());
  }

  async claim(source: string, id: string, ttlMs: number): Promise<ClaimResult> {
    checkKey(source, id);
    checkTtl(ttlMs);
    await this.init();
    if (this.purgeEvery > 0 && ++this.claims % this.purgeEvery === 0) void this.purge().catch(() => undefined);
    // Up to three tries: the row may be released between our insert attempt and our read.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.db.query(
        `INSERT INTO ${this.table} AS t (source, id, state, expires_at)
           VALUES ($1, $2, 'in-progress', now() + make_interval(secs => $3::double precision / 1000))
         ON CONFLICT (source, id) DO UPDATE
           SET state = 'in-progress', expires_at = EXCLUDED.expires_at
           WHERE t.expires_at <= now()
         RETURNING 1 AS claimed`,
        [source, id, ttlMs],
      );
      if (rows.length > 0) return 'new';
      const existing = await this.db.query(`SELECT state FROM ${this.table} WHERE source = $1 AND id = $2 AND expires_at > now()`, [source, id]);
      const state = existing.rows[0]?.state;
      if (state === 'done') return 'duplicate';
      if (state === 'in-progress') return 'in-progress';
    }
    return 'in-progress';
  }

  async complete(source: string, id: string, ttlMs?: number): Promise<void> {
    checkKey(source, id);
    if (ttlMs !== undefined) checkTtl(ttlMs);
    await this.init();
    if (ttlMs === undefined) {
      // Keep the claim's remaining lease as the memory window: the caller chose it at claim time.
      await this.db.query(`UPDATE ${this.table} SET state = 'done' WHERE source = $1 AND id = $2`, [source, id]);
    } else {
      await this.db.query(
        `INSERT INTO ${this.table} AS t (source, id, state, expires_at)
           VALUES ($1, $2, 'done', now() + make_interval(secs => $3::double precision / 1000))
         ON CONFLICT (source, id) DO UPDATE SET state = 'done', expires_at = EXCLUDED.expires_at`,
        [source, id, ttlMs],
      );
    }
  }

  async release(source: string, id: string): Promise<void> {
    checkKey(source, id);
    await this.init();
    await this.db.query(`DELETE FROM ${this.table} WHERE source = $1 AND id = $2 AND state = 'in-progress'`, [source, id]);
  }

  /** Delete expired rows (bounded); returns how many. */
  async purge(): Promise<number> {
    await this.init();
    const { rows } = await this.db.query(
      `WITH gone AS (
         DELETE FROM ${this.table} WHERE ctid IN (SELECT ctid FROM ${this.table} WHERE expires_at <= now() LIMIT $1)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [this.purgeBatch],
    );
    return Number(rows[0]?.n ?? 0);
  }
}

// ---------------------------------------------------------------------------------------------

export interface IdempotentOptions {
  /** How long a processed event is remembered; also the lease of an attempt in progress. */
  ttlMs: number;
  /** Retry-After for an event another attempt is processing right now. Default 5 s. */
  retryAfterSeconds?: number;
}

type Handle<E extends IncomingEvent> = (event: E, ctx: FunctionContext) => Promise<CatalogEvent | undefined>;

/**
 * Wrap a handler so each (source, id) is processed at most once while remembered. A duplicate is
 * acknowledged without running the handler (and without a reply: use this for side effects, not
 * for handlers whose value is their reply). A concurrent attempt gets 429 so it is retried later.
 */
export function idempotent<E extends IncomingEvent>(store: IdempotencyStore, handle: Handle<E>, opts: IdempotentOptions): Handle<E> {
  return async (event, ctx) => {
    const claim = await store.claim(event.source, event.id, opts.ttlMs);
    if (claim === 'duplicate') {
      ctx.log.info('duplicate event: already processed, acknowledged without handling');
      return undefined;
    }
    if (claim === 'in-progress') throw new RateLimitedError('the same event is being processed by another attempt', opts.retryAfterSeconds ?? 5);
    let reply: CatalogEvent | undefined;
    try {
      reply = await handle(event, ctx);
    } catch (e) {
      await store.release(event.source, event.id).catch((err: unknown) => ctx.log.warn({ err }, 'could not release idempotency claim'));
      throw e;
    }
    await store.complete(event.source, event.id, opts.ttlMs);
    return reply;
  };
}
