/**
 * Bulk load with `COPY ... FROM STDIN` on both drivers.
 *
 * COPY goes through PostgreSQL's multi-insert path. There is no per-row executor work and no
 * array literal to parse, so it is several times cheaper than `INSERT ... SELECT FROM unnest(...)`.
 * Node-postgres streams the data with `pg-copy-streams`. PGlite reads it from a Blob
 * (`COPY ... FROM '/dev/blob'`). Both take the same COPY text format, so the encoding below is
 * shared.
 *
 * `lib/db` does not expose raw connections. The pool is reached through drizzle's public
 * `$client`, and the PGlite instance through `pgliteOf`.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { mapDatabaseError, pgliteOf, type Database, type Queryable } from '../../../../lib/db/index.js';

/** One transaction that can run statements and COPY text into a table. */
export interface BulkSession extends Queryable {
  copyIn(table: string, columns: readonly string[], data: string): Promise<void>;
}

export class BulkLoadUnsupportedError extends Error {
  override name = 'BulkLoadUnsupportedError';
}

function poolOf(db: Database): pg.Pool | undefined {
  const client = (db.drizzle as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : undefined;
}

function copySql(table: string, columns: readonly string[], source: string): string {
  return `COPY ${table} (${columns.join(', ')}) FROM ${source}`;
}

/**
 * A bulk loader for the duration of one import: statements and COPY, in autocommit.
 *
 * There are no per-batch transactions. Every statement is atomic by itself, the rows belong to a
 * generation nobody reads until the flip, and a failed import drops its whole generation. On a
 * busy machine each round trip costs a scheduling delay, and BEGIN/COMMIT were two of five per
 * batch.
 *
 * On PostgreSQL the loader holds ONE pooled connection with `synchronous_commit = off`. That is
 * safe for the same reason: the flip commits synchronously, on another connection, after these
 * rows in the same WAL. On PGlite each statement takes the instance's mutex only while it runs, so
 * lookups interleave with an import.
 */
export interface BulkLoader extends BulkSession {
  /** PGlite: round trips are function calls, so there is nothing to save by guessing. */
  readonly inProcess: boolean;
  close(): Promise<void>;
}

export async function openBulkLoader(db: Database): Promise<BulkLoader> {
  const pool = poolOf(db);
  if (pool) return pgLoader(pool);
  const pgl = pgliteOf(db);
  if (pgl) {
    const guard = async <T>(p: Promise<T>): Promise<T> => {
      try {
        return await p;
      } catch (e) {
        throw mapDatabaseError(e);
      }
    };
    return {
      inProcess: true,
      query: async <R>(sql: string, params?: readonly unknown[]) => ({
        rows: (await guard(pgl.query<R>(sql, params as unknown[] | undefined))).rows,
      }),
      copyIn: async (table, columns, data) => {
        await guard(pgl.query(copySql(table, columns, `'/dev/blob'`), [], { blob: new Blob([data]) }));
      },
      close: async () => undefined,
    };
  }
  throw new BulkLoadUnsupportedError('the database handle exposes neither a pg pool nor a PGlite instance');
}

async function pgLoader(pool: pg.Pool): Promise<BulkLoader> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw mapDatabaseError(e);
  }
  let broken = false;
  const guard = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (e) {
      // A statement error (e.g. a unique violation) leaves the connection usable; a lost
      // connection must not go back to the pool.
      if ((e as { code?: unknown }).code === undefined) broken = true;
      throw mapDatabaseError(e);
    }
  };
  await guard(() => client.query('SET synchronous_commit = off'));
  return {
    inProcess: false,
    query: async <R>(sql: string, params?: readonly unknown[]) => ({
      rows: (await guard(() => client.query(sql, params as unknown[] | undefined))).rows as R[],
    }),
    copyIn: async (table, columns, data) => {
      await guard(() =>
        pipeline(
          Readable.from([Buffer.from(data, 'utf8')]),
          client.query(copyFrom(copySql(table, columns, 'STDIN'))),
        ),
      );
    },
    async close() {
      // The connection goes back to the pool: restore the session default first.
      try {
        if (!broken) await client.query('RESET synchronous_commit');
      } catch {
        broken = true;
      }
      client.release(broken);
    },
  };
}

/** SQLSTATE 23505: the optimistic COPY met an id that this generation already holds. */
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === '23505';
}

// ------------------------------------------------------------------------- COPY text format

/* eslint-disable no-control-regex -- NUL and the COPY delimiters are exactly what we escape */
const COPY_SPECIAL = /[\\\t\n\r]/g;
const NUL = /\u0000/g;
const NEEDS_WORK = /[\\\t\n\r\u0000]/;
/* eslint-enable no-control-regex */
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One COPY text field. PostgreSQL text cannot hold NUL, so NUL is dropped: a record from a
 * hostile mirror must not fail the whole batch.
 */
export function copyField(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N';
  // Most fields (ids, names, versions, most JSON) contain nothing to escape: skip the rewrite.
  if (!NEEDS_WORK.test(v)) return v;
  return v.replace(NUL, '').replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]!);
}

/** `text[]` literal: every element quoted, `"` and `\` escaped. */
export function pgTextArray(xs: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) out += ',';
    out += '"' + xs[i]!.replace(NUL, '').replace(/[\\"]/g, (c) => '\\' + c) + '"';
  }
  return out + '}';
}

/** JSON for a jsonb column. jsonb rejects `\u0000`, so strings that contain NUL lose it. */
export function jsonbText(value: unknown): string {
  const s = JSON.stringify(value);
  // Fast path: `\u0000` appears in the output only if some string held a NUL (or the literal
  // text "\u0000", which the slow path leaves alone because it checks the decoded strings).
  if (!s.includes('\\u0000')) return s;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? v.replace(NUL, '') : v));
}

/** One COPY line. */
export function copyLine(fields: readonly (string | number | null)[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) out += (i > 0 ? '\t' : '') + copyField(fields[i]!);
  return out + '\n';
}
