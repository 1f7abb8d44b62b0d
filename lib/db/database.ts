/**
 * One database handle for both drivers. Components write SQL once and run it on PostgreSQL (`pg`,
 * production, `DATABASE_URL` set) or on embedded PGlite (dev mode, tests, demo).
 *
 * - `query` is the raw executor (`$1` parameters, `{ rows }` back) for hot paths and SQL that
 *   drizzle cannot express; `drizzle` is the typed builder over the same connections.
 * - Connectivity failures surface as `DatabaseUnavailableError`, statement timeouts as
 *   `DatabaseTimeoutError`, so HTTP layers can answer 503/504 with Retry-After instead of 500.
 * - `listen` uses one dedicated connection per Database on `pg` (see listener.ts) and PGlite's
 *   native LISTEN otherwise.
 */
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { logger } from '../log/index.js';
import { loadDbConfig, type DbConfig } from './config.js';
import { DatabaseUnavailableError, mapDatabaseError } from './errors.js';
import { PgListener } from './listener.js';

export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  rows: R[];
}

export interface Queryable {
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export type DrizzleDb = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface ListenOptions {
  /**
   * Called after the notification connection was lost and re-established: notifications sent in
   * between are gone, so the subscriber must re-read its source of truth.
   */
  onResync?: () => void;
}

export type Unlisten = () => Promise<void>;

export interface Database extends Queryable {
  readonly kind: 'pg' | 'pglite';
  readonly drizzle: DrizzleDb;
  /** Runs fn in BEGIN/COMMIT on one connection; rolls back when fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  listen(channel: string, onPayload: (payload: string) => void, opts?: ListenOptions): Promise<Unlisten>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL. Default: DATABASE_URL; unset → PGlite. */
  url?: string;
  /** PGlite data directory (persistent); default KSCAPE_DB_DATA_DIR, else in-memory. */
  dataDir?: string;
  /** Overrides for pool size and timeouts; default from the environment (lib/db/config.ts). */
  config?: Partial<DbConfig>;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** PGlite only: start from this data directory tarball (PGlite `dumpDataDir`) instead of initdb. */
  pgliteLoadDataDir?: Blob;
}

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  const cfg: DbConfig = { ...loadDbConfig(), ...opts.config };
  const url = opts.url ?? cfg.DATABASE_URL;
  if (url) return openPg(url, cfg, opts.applicationName ?? 'kscape');
  return openPglite(opts.dataDir ?? cfg.KSCAPE_DB_DATA_DIR, opts.pgliteLoadDataDir);
}

async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw mapDatabaseError(e);
  }
}

async function openPg(url: string, cfg: DbConfig, applicationName: string): Promise<Database> {
  const log = logger('db', { driver: 'pg' });
  const clientConfig: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: cfg.KSCAPE_DB_CONNECT_TIMEOUT,
    application_name: applicationName,
  };
  const pool = new pg.Pool({
    ...clientConfig,
    max: cfg.KSCAPE_DB_POOL_MAX,
    idleTimeoutMillis: cfg.KSCAPE_DB_IDLE_TIMEOUT,
    // Server-side limits: a runaway statement or a transaction left open by a bug must not hold
    // locks (the storage write lock!) forever.
    ...(cfg.KSCAPE_DB_STATEMENT_TIMEOUT > 0
      ? {
          statement_timeout: cfg.KSCAPE_DB_STATEMENT_TIMEOUT,
          idle_in_transaction_session_timeout: Math.max(cfg.KSCAPE_DB_STATEMENT_TIMEOUT, 10_000),
        }
      : {}),
  });
  // An idle pooled connection that dies (server restart) emits 'error' on the pool; without a
  // handler Node would crash the process. The next query simply gets a fresh connection.
  pool.on('error', (err) => log.warn({ err }, 'idle pool connection failed'));

  // Fail fast at start-up with a typed error rather than on the first request.
  await wrap(pool.query('SELECT 1')).catch(async (e: unknown) => {
    await pool.end().catch(() => undefined);
    throw e;
  });

  let listener: PgListener | undefined;
  let closed = false;
  const drizzle = drizzlePg({ client: pool }) as unknown as DrizzleDb;

  const db: Database = {
    kind: 'pg',
    drizzle,
    query: async <R = Row>(sql: string, params?: readonly unknown[]) => {
      const r = await wrap(pool.query(sql, params as unknown[] | undefined));
      return { rows: r.rows as R[] };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await wrap(pool.connect());
      let broken = false;
      try {
        await wrap(client.query('BEGIN'));
        const tx: Queryable = {
          query: async <R = Row>(sql: string, params?: readonly unknown[]) => {
            const r = await wrap(client.query(sql, params as unknown[] | undefined));
            return { rows: r.rows as R[] };
          },
        };
        const out = await fn(tx);
        await wrap(client.query('COMMIT'));
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          // The connection itself is gone: do not return it to the pool.
          broken = true;
        }
        throw mapDatabaseError(e);
      } finally {
        client.release(broken);
      }
    },
    async listen(channel, onPayload, lopts) {
      if (closed) throw new DatabaseUnavailableError('database closed');
      listener ??= new PgListener({ clientConfig, log });
      return listener.listen(channel, onPayload, lopts?.onResync);
    },
    async notify(channel, payload) {
      await wrap(pool.query('SELECT pg_notify($1, $2)', [channel, payload]));
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener?.close();
      await pool.end();
    },
  };
  Object.defineProperty(db, 'listener', { get: () => listener, enumerable: false });
  return db;
}

/** Test access to the pg LISTEN connection (to simulate outages). */
export function pgListenerOf(db: Database): PgListener | undefined {
  return (db as unknown as { listener?: PgListener }).listener;
}

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Database> {
  // Imported here: a function on PostgreSQL (every in-cluster start) never loads the WASM engine.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  const pgl = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
  });
  let closed = false;
  const drizzle = drizzlePglite({ client: pgl }) as unknown as DrizzleDb;
  const guard = (): void => {
    if (closed) throw new DatabaseUnavailableError('database closed');
  };
  const db: Database = {
    kind: 'pglite',
    drizzle,
    async query<R = Row>(sql: string, params?: readonly unknown[]) {
      guard();
      const r = await wrap(pgl.query<R>(sql, params as unknown[] | undefined));
      return { rows: r.rows };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      guard();
      // PGlite is one session: its transaction() holds an internal mutex, so other queries of
      // this process wait rather than interleave with ours.
      return wrap(
        pgl.transaction(async (t) =>
          fn({
            query: async <R = Row>(sql: string, params?: readonly unknown[]) => {
              const r = await t.query<R>(sql, params as unknown[] | undefined);
              return { rows: r.rows };
            },
          }),
        ),
      );
    },
    async listen(channel, onPayload) {
      guard();
      // One session, nothing to lose between reconnects: onResync never fires.
      const unsub = await pgl.listen(channel, onPayload);
      return async () => {
        if (!closed) await unsub();
      };
    },
    async notify(channel, payload) {
      guard();
      await pgl.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pgl.close();
    },
  };
  // Non-enumerable escape hatch for tooling (test templates): the underlying instance.
  Object.defineProperty(db, 'pglite', { value: pgl, enumerable: false });
  return db;
}

/** The PGlite instance behind a 'pglite' Database (undefined for pg). */
export function pgliteOf(db: Database): PGlite | undefined {
  return (db as Database & { pglite?: PGlite }).pglite;
}

/**
 * A view of `db` whose close() does nothing. Lets several components (or two Store "replicas" in
 * a test) share one PGlite instance, which only one owner may close.
 */
export function nonOwning(db: Database): Database {
  return {
    kind: db.kind,
    drizzle: db.drizzle,
    query: (sql, params) => db.query(sql, params),
    transaction: (fn) => db.transaction(fn),
    listen: (c, h, o) => db.listen(c, h, o),
    notify: (c, p) => db.notify(c, p),
    close: async () => undefined,
  };
}
