/**
 * Test helpers: run a suite against every available driver, each test file on a fresh database.
 *
 *   forEachDriver('my store', (driver) => {
 *     const tdb = withTestDatabase(driver);        // beforeAll: create, afterAll: drop
 *     it('works', async () => { await tdb.db.query('SELECT 1'); });
 *   });
 *
 * PGlite always runs (in-memory). PostgreSQL runs when DATABASE_URL is set: the helper creates
 * `kscape_t_<random>` on that server and drops it afterwards (FORCE-terminating leftover sessions),
 * so test files never see each other's data and can run in parallel.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { nonOwning, openDatabase, pgliteOf, type Database } from './database.js';

export type TestDriver = 'pglite' | 'pg';

/** Drivers to test: PGlite always, pg when DATABASE_URL is set. */
export function testDrivers(): TestDriver[] {
  return process.env.DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];
}

/** `describe(`${name} [driver]`)` once per available driver. */
export function forEachDriver(name: string, fn: (driver: TestDriver) => void): void {
  for (const d of testDrivers()) describe(`${name} [${d}]`, () => fn(d));
}

export interface TestDatabase {
  readonly driver: TestDriver;
  /** The main handle, opened once for the suite. */
  readonly db: Database;
  /** pg: URL of the fresh database; undefined for PGlite. */
  readonly url: string | undefined;
  /**
   * Another handle on the same database, as a second server process would have: a new pool on pg;
   * a non-owning view of the one in-process instance on PGlite. The caller closes it.
   */
  open(): Promise<Database>;
}

export interface CreatedTestDatabase extends TestDatabase {
  drop(): Promise<void>;
}

/** Create a fresh database for `driver` (use in your own hooks; `withTestDatabase` wraps it). */
export async function createTestDatabase(driver: TestDriver): Promise<CreatedTestDatabase> {
  if (driver === 'pglite') {
    const db = await openTestPglite();
    return {
      driver,
      db,
      url: undefined,
      open: async () => nonOwning(db),
      drop: () => db.close(),
    };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `kscape_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(base, `CREATE DATABASE ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const opened: Database[] = [];
  const db = await openDatabase({ url, config: { KSCAPE_DB_POOL_MAX: 10 } });
  return {
    driver,
    db,
    url,
    open: async () => {
      const d = await openDatabase({ url, config: { KSCAPE_DB_POOL_MAX: 10 } });
      opened.push(d);
      return d;
    },
    drop: async () => {
      await Promise.all(opened.map((d) => d.close().catch(() => undefined)));
      await db.close().catch(() => undefined);
      await adminQuery(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * PGlite's initdb costs seconds (tens of seconds on a loaded 2-core CI box); booting from a dumped
 * data directory is several times faster. The template is an empty cluster, cached in the OS temp
 * dir per PGlite version and written atomically so parallel test workers can race safely.
 */
async function openTestPglite(): Promise<Database> {
  // Keyed by the installed PGlite build: a template from another version must never be loaded.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const st = await stat(entry);
  const template = join(tmpdir(), `kscape-pglite-template-${st.size}-${Math.floor(st.mtimeMs)}.tar`);
  if (existsSync(template)) {
    try {
      return await openDatabase({ url: '', dataDir: '', pgliteLoadDataDir: new Blob([await readFile(template)]) });
    } catch {
      // A corrupt template (interrupted writer on another filesystem...): fall back to initdb.
    }
  }
  const db = await openDatabase({ url: '', dataDir: '' });
  const dump = await pgliteOf(db)?.dumpDataDir('none');
  if (dump) {
    const tmp = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
    await rename(tmp, template);
  }
  return db;
}

/** Register beforeAll/afterAll creating and dropping a fresh database; returns a lazy accessor. */
export function withTestDatabase(driver: TestDriver): TestDatabase {
  let created: CreatedTestDatabase | undefined;
  // Generous: PGlite boots slowly on a busy machine, and a timeout here fails the whole file.
  beforeAll(async () => {
    created = await createTestDatabase(driver);
  }, 240_000);
  afterAll(async () => {
    await created?.drop();
  });
  const get = (): CreatedTestDatabase => {
    if (!created) throw new Error('test database not created yet (use it inside tests or hooks)');
    return created;
  };
  return {
    driver,
    get db() {
      return get().db;
    },
    get url() {
      return get().url;
    },
    open: () => get().open(),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
