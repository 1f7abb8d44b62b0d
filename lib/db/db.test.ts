import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DatabaseTimeoutError,
  DatabaseUnavailableError,
  migrate,
  migrationsFolderNextTo,
  openDatabase,
  pgListenerOf,
} from './index.js';
import { forEachDriver, withTestDatabase } from './testing.js';

/** A drizzle-kit shaped migrations folder (journal + SQL with statement breakpoints). */
function migrationsFolder(files: { tag: string; sql: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kscape-mig-'));
  mkdirSync(join(dir, 'meta'));
  writeFileSync(
    join(dir, 'meta', '_journal.json'),
    JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: files.map((f, idx) => ({
        idx,
        version: '7',
        when: 1_700_000_000_000 + idx,
        tag: f.tag,
        breakpoints: true,
      })),
    }),
  );
  for (const f of files) writeFileSync(join(dir, `${f.tag}.sql`), f.sql);
  return dir;
}

forEachDriver('lib/db Database', (driver) => {
  const tdb = withTestDatabase(driver);

  it('query returns rows; transaction commits, and rolls back when the callback throws', async () => {
    const { db } = tdb;
    expect(db.kind).toBe(driver);
    await db.query('CREATE TABLE t_tx (id int PRIMARY KEY, v text)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t_tx VALUES ($1, $2)', [1, 'a']);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t_tx VALUES ($1, $2)', [2, 'b']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.query<{ id: number; v: string }>('SELECT id, v FROM t_tx ORDER BY id');
    expect(rows).toEqual([{ id: 1, v: 'a' }]);
  });

  it('drizzle instance works on the same database', async () => {
    const { sql } = await import('drizzle-orm');
    const r = await tdb.db.drizzle.execute(sql`SELECT 41 + 1 AS x`);
    expect(JSON.stringify(r)).toContain('42');
  });

  it('listen/notify delivers payloads until unlisten', async () => {
    const got: string[] = [];
    const un = await tdb.db.listen('kscape_test_ch', (p) => got.push(p));
    await tdb.db.notify('kscape_test_ch', 'one');
    for (let i = 0; i < 200 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['one']);
    await un();
    await tdb.db.notify('kscape_test_ch', 'two');
    // A later notification on another channel proves the pipeline flushed past "two".
    const other: string[] = [];
    const un2 = await tdb.db.listen('kscape_test_ch2', (p) => other.push(p));
    await tdb.db.notify('kscape_test_ch2', 'marker');
    for (let i = 0; i < 200 && other.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(other).toEqual(['marker']);
    expect(got).toEqual(['one']);
    await un2();
  });

  it('migrate applies each migration once, records it in the owner table, and rolls back a failing one', async () => {
    const folder = migrationsFolder([
      {
        tag: '0000_a',
        sql: 'CREATE TABLE mig_a (id int);\n--> statement-breakpoint\nINSERT INTO mig_a VALUES (1);',
      },
      { tag: '0001_b', sql: 'CREATE TABLE mig_b (id int);' },
    ]);
    expect((await migrate(tdb.db, { folder, table: 'test_migrations' })).applied).toEqual([
      '0000_a',
      '0001_b',
    ]);
    expect((await migrate(tdb.db, { folder, table: 'test_migrations' })).applied).toEqual([]);
    // Another owner's table is independent.
    const other = migrationsFolder([{ tag: '0000_x', sql: 'CREATE TABLE mig_x (id int);' }]);
    expect((await migrate(tdb.db, { folder: other, table: 'other_migrations' })).applied).toEqual(['0000_x']);
    const bad = migrationsFolder([
      {
        tag: '0000_a',
        sql: 'CREATE TABLE mig_a (id int);\n--> statement-breakpoint\nINSERT INTO mig_a VALUES (1);',
      },
      { tag: '0001_b', sql: 'CREATE TABLE mig_b (id int);' },
      {
        tag: '0002_c',
        sql: 'CREATE TABLE mig_c (id int);\n--> statement-breakpoint\nSELECT no_such_function();',
      },
    ]);
    await expect(migrate(tdb.db, { folder: bad, table: 'test_migrations' })).rejects.toThrow();
    const { rows } = await tdb.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_tables WHERE tablename = 'mig_c'`,
    );
    expect(rows[0]!.n).toBe('0');
    const { rows: rec } = await tdb.db.query<{ tag: string }>('SELECT tag FROM test_migrations ORDER BY id');
    expect(rec.map((r) => r.tag)).toEqual(['0000_a', '0001_b']);
    await expect(migrate(tdb.db, { folder, table: 'bad name' })).rejects.toThrow(/invalid/);
  });

  it('concurrent migrate calls from several handles apply each migration exactly once', async () => {
    const folder = migrationsFolder([
      { tag: '0000_c1', sql: 'CREATE TABLE conc_a (id int);' },
      { tag: '0001_c2', sql: 'CREATE TABLE conc_b (id int);' },
    ]);
    const handles = await Promise.all([tdb.open(), tdb.open(), tdb.open(), tdb.open()]);
    try {
      const results = await Promise.all(handles.map((h) => migrate(h, { folder, table: 'conc_migrations' })));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(['0000_c1', '0001_c2']);
      const { rows } = await tdb.db.query<{ n: string }>('SELECT count(*)::text AS n FROM conc_migrations');
      expect(rows[0]!.n).toBe('2');
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  if (driver === 'pg') {
    it('LISTEN reconnects after the connection drops and calls onResync', async () => {
      let resyncs = 0;
      const got: string[] = [];
      const un = await tdb.db.listen('kscape_reconnect', (p) => got.push(p), { onResync: () => resyncs++ });
      const listener = pgListenerOf(tdb.db)!;
      await listener.simulateDisconnect();
      for (let i = 0; i < 500 && resyncs === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(resyncs).toBe(1);
      await tdb.db.notify('kscape_reconnect', 'after');
      for (let i = 0; i < 200 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['after']);
      await un();
    });

    it('statement timeout maps to DatabaseTimeoutError', async () => {
      const db = await openDatabase({ url: tdb.url!, config: { KSCAPE_DB_STATEMENT_TIMEOUT: 200 } });
      try {
        const err = await db.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DatabaseTimeoutError);
        expect(err).toBeInstanceOf(DatabaseUnavailableError);
        // Statement errors are NOT unavailability.
        const syntax = await db.query('SELEC 1').catch((e: unknown) => e);
        expect(syntax).not.toBeInstanceOf(DatabaseUnavailableError);
      } finally {
        await db.close();
      }
    });
  }
});

describe('migrationsFolderNextTo', () => {
  it('finds migrations beside the module, else at the same path in the sources when running from dist/', () => {
    const root = mkdtempSync(join(tmpdir(), 'kscape-migrations-'));
    const moduleUrl = pathToFileURL(join(root, 'dist', 'functions', 'x', 'store.js'));
    expect(() => migrationsFolderNextTo(moduleUrl)).toThrow(/migrations not found next to/);
    mkdirSync(join(root, 'functions', 'x', 'migrations'), { recursive: true });
    expect(migrationsFolderNextTo(moduleUrl)).toBe(join(root, 'functions', 'x', 'migrations'));
    // The container image copies the folder next to the compiled module: that one wins.
    mkdirSync(join(root, 'dist', 'functions', 'x', 'migrations'), { recursive: true });
    expect(migrationsFolderNextTo(moduleUrl)).toBe(join(root, 'dist', 'functions', 'x', 'migrations'));
  });
});

describe('lib/db connection errors', () => {
  it('an unreachable server is a DatabaseUnavailableError at open', async () => {
    const err = await openDatabase({
      url: 'postgres://postgres@127.0.0.1:1/none',
      config: { KSCAPE_DB_CONNECT_TIMEOUT: 1000 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
  });
});
