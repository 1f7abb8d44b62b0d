/**
 * Migration runner for drizzle-kit generated SQL folders, one migrations table per owner.
 *
 * Each component owns its tables and its migrations folder (storage-api/store/migrations, the vuln
 * function's own, ...), so each records what it applied in its own table instead of sharing
 * drizzle's single `__drizzle_migrations`, where two owners' journals would interleave.
 *
 * Safe when several replicas start at once: everything runs in one transaction that first takes a
 * transaction-level advisory lock keyed by the table name. The loser waits, then sees the winner's
 * rows and applies nothing. DDL is transactional in PostgreSQL, so a failing migration leaves
 * the database exactly as it was.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../log/index.js';
import type { Database } from './database.js';

/**
 * The committed `migrations/` folder beside a store module (`import.meta.url`): next to the source
 * file under vitest, or, when running from dist/ (tsc copies no SQL), the same path in the
 * sources. The container image copies each folder next to its compiled module (Dockerfile).
 */
export function migrationsFolderNextTo(moduleUrl: string | URL): string {
  const here = fileURLToPath(new URL('./migrations', moduleUrl));
  if (existsSync(here)) return here;
  const marker = `${sep}dist${sep}`;
  const at = here.lastIndexOf(marker);
  const fromSources = at < 0 ? here : here.slice(0, at) + sep + here.slice(at + marker.length);
  if (existsSync(fromSources)) return fromSources;
  throw new Error(
    `migrations not found next to ${fileURLToPath(moduleUrl)} (looked in ${here} and ${fromSources})`,
  );
}

export interface MigrateOptions {
  /** Folder produced by `drizzle-kit generate` (contains meta/_journal.json). */
  folder: string;
  /** Table recording applied migrations, e.g. `storage_migrations`. */
  table: string;
}

export interface MigrationFile {
  tag: string;
  /** `when` from the journal; migrations apply in this order. */
  createdAt: number;
  hash: string;
  statements: string[];
}

export interface MigrateResult {
  applied: string[];
}

interface Journal {
  entries: { idx: number; when: number; tag: string; breakpoints: boolean }[];
}

export function readMigrations(folder: string): MigrationFile[] {
  const journalPath = join(folder, 'meta', '_journal.json');
  if (!existsSync(journalPath)) throw new Error(`no drizzle journal at ${journalPath}`);
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map((e) => {
      const text = readFileSync(join(folder, `${e.tag}.sql`), 'utf8');
      return {
        tag: e.tag,
        createdAt: e.when,
        hash: createHash('sha256').update(text).digest('hex'),
        statements: text
          .split('--> statement-breakpoint')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    });
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export async function migrate(db: Database, opts: MigrateOptions): Promise<MigrateResult> {
  if (!IDENT.test(opts.table)) throw new Error(`invalid migrations table name ${JSON.stringify(opts.table)}`);
  const files = readMigrations(opts.folder);
  const log = logger('db.migrate', { table: opts.table });
  const applied = await db.transaction(async (tx) => {
    // Serialise concurrent starters on this owner's migrations only.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`kscape:migrate:${opts.table}`]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${opts.table} (
         id serial PRIMARY KEY,
         tag text NOT NULL,
         hash text NOT NULL,
         created_at bigint NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await tx.query<{ tag: string; hash: string; created_at: string | number }>(
      `SELECT tag, hash, created_at FROM ${opts.table} ORDER BY created_at`,
    );
    const done = new Map(rows.map((r) => [r.tag, r]));
    const out: string[] = [];
    for (const f of files) {
      const prev = done.get(f.tag);
      if (prev) {
        // Editing a migration that already ran somewhere is a bug: the edit never reaches that
        // database. Say so loudly rather than silently diverge.
        if (prev.hash !== f.hash)
          log.warn({ tag: f.tag }, 'applied migration was modified after it ran; not re-applied');
        continue;
      }
      for (const stmt of f.statements) await tx.query(stmt);
      await tx.query(`INSERT INTO ${opts.table} (tag, hash, created_at) VALUES ($1, $2, $3)`, [
        f.tag,
        f.hash,
        f.createdAt,
      ]);
      out.push(f.tag);
    }
    return out;
  });
  if (applied.length) log.info({ applied }, 'applied migrations');
  return { applied };
}
