import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { MemoryIdempotencyStore, SqlIdempotencyStore, idempotent, type IdempotencyStore, type SqlExecutor } from './idempotency.js';
import { RateLimitedError } from './errors.js';
import { EVENT_TYPES } from '../../lib/events/index.js';
import type { FunctionContext, IncomingEvent } from './types.js';
import { captureLogs } from './__fixtures__/helpers.js';
import { logger } from '../../lib/log/index.js';

/** Behaviour every store must have; `sleep` advances time by real waiting or a fake clock. */
function contract(name: string, make: () => Promise<{ store: IdempotencyStore; sleep: (ms: number) => Promise<void> }>) {
  describe(name, () => {
    it('claims once; a second claim sees in-progress, then duplicate after complete', async () => {
      const { store } = await make();
      expect(await store.claim('/src', 'a', 60_000)).toBe('new');
      expect(await store.claim('/src', 'a', 60_000)).toBe('in-progress');
      await store.complete('/src', 'a');
      expect(await store.claim('/src', 'a', 60_000)).toBe('duplicate');
      // Same id from another source is another event.
      expect(await store.claim('/other', 'a', 60_000)).toBe('new');
    });

    it('release lets a redelivery claim again', async () => {
      const { store } = await make();
      expect(await store.claim('/src', 'r', 60_000)).toBe('new');
      await store.release('/src', 'r');
      expect(await store.claim('/src', 'r', 60_000)).toBe('new');
    });

    it('an expired lease or memory can be claimed again', async () => {
      const { store, sleep } = await make();
      expect(await store.claim('/src', 'e', 200)).toBe('new');
      await sleep(400);
      expect(await store.claim('/src', 'e', 200)).toBe('new');
      await store.complete('/src', 'e', 200);
      expect(await store.claim('/src', 'e', 200)).toBe('duplicate');
      await sleep(400);
      expect(await store.claim('/src', 'e', 200)).toBe('new');
    });

    it('concurrent claims: exactly one wins', async () => {
      const { store } = await make();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.claim('/src', 'race', 60_000)));
      expect(results.filter((r) => r === 'new')).toHaveLength(1);
      expect(results.filter((r) => r === 'in-progress')).toHaveLength(9);
    });

    it('rejects empty keys and bad ttls', async () => {
      const { store } = await make();
      await expect(store.claim('', 'x', 1000)).rejects.toThrow(TypeError);
      await expect(store.claim('/s', 'x', 0)).rejects.toThrow(RangeError);
    });
  });
}

contract('MemoryIdempotencyStore', async () => {
  let now = 1_000_000;
  const store = new MemoryIdempotencyStore({ now: () => now });
  return {
    store,
    sleep: async (ms) => {
      now += ms;
    },
  };
});

describe('MemoryIdempotencyStore bounds', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) expect(await store.claim('/s', id, 60_000)).toBe('new');
    await store.claim('/s', 'a', 60_000); // touch a: b is now the oldest
    expect(await store.claim('/s', 'd', 60_000)).toBe('new');
    expect(store.size).toBe(3);
    expect(await store.claim('/s', 'a', 60_000)).toBe('in-progress');
    expect(await store.claim('/s', 'b', 60_000)).toBe('new'); // b was evicted
  });

  it('drops expired entries before live ones', async () => {
    let now = 0;
    const store = new MemoryIdempotencyStore({ maxEntries: 2, now: () => now });
    await store.claim('/s', 'short', 10);
    await store.claim('/s', 'long', 10_000);
    now = 100;
    await store.claim('/s', 'new', 10_000);
    expect(await store.claim('/s', 'long', 10_000)).toBe('in-progress');
  });
});

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('SqlIdempotencyStore on PGlite', () => {
  let db: PGlite;
  // PGlite compiles its WASM on start: slow on a loaded two-core machine.
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  }, 240_000);
  afterAll(async () => {
    await db.close();
  });
  contract('contract', async () => ({ store: new SqlIdempotencyStore(db as unknown as SqlExecutor, { table: `idem_${randomUUID().slice(0, 8)}` }), sleep: realSleep }));

  it('creates its default table and purges expired rows', async () => {
    const store = new SqlIdempotencyStore(db as unknown as SqlExecutor);
    await store.claim('/s', 'p1', 10);
    await store.claim('/s', 'p2', 60_000);
    await realSleep(50);
    expect(await store.purge()).toBe(1);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM kscape_idempotency');
    expect(rows.map((r) => r.id)).toEqual(['p2']);
  });

  it('refuses table names that are not plain identifiers', () => {
    expect(() => new SqlIdempotencyStore(db as unknown as SqlExecutor, { table: 'x; drop table y' })).toThrow(TypeError);
  });
});

const DATABASE_URL = process.env.DATABASE_URL;
describe.skipIf(!DATABASE_URL)('SqlIdempotencyStore on PostgreSQL (DATABASE_URL)', () => {
  let pool: pg.Pool;
  const tables: string[] = [];
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  });
  afterAll(async () => {
    for (const t of tables) await pool.query(`DROP TABLE IF EXISTS ${t}`);
    await pool.end();
  });
  contract('contract', async () => {
    const table = `kscape_idem_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    tables.push(table);
    return { store: new SqlIdempotencyStore(pool, { table }), sleep: realSleep };
  });

  it('two stores (two replicas) on one table agree', async () => {
    const table = `kscape_idem_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    tables.push(table);
    const a = new SqlIdempotencyStore(pool, { table });
    const b = new SqlIdempotencyStore(pool, { table });
    const [ra, rb] = await Promise.all([a.claim('/s', 'x', 60_000), b.claim('/s', 'x', 60_000)]);
    expect([ra, rb].sort()).toEqual(['in-progress', 'new']);
  });
});

describe('idempotent() handler wrapper', () => {
  const ctx = (): FunctionContext => ({
    log: logger('test'),
    signal: new AbortController().signal,
    source: '/kscape/test',
    emit: async () => undefined,
  });
  const event = (id: string): IncomingEvent => ({ id, source: '/s', type: EVENT_TYPES.vulnDbUpdateRequested, data: {}, extensions: {} });

  it('runs the effect once per event, retries after a failure, 429 while in progress', async () => {
    captureLogs();
    const store = new MemoryIdempotencyStore();
    let runs = 0;
    let fail = true;
    let gate: Promise<void> = Promise.resolve();
    const h = idempotent(
      store,
      async () => {
        runs++;
        await gate;
        if (fail) throw new Error('boom');
        return undefined;
      },
      { ttlMs: 60_000 },
    );
    await expect(h(event('1'), ctx())).rejects.toThrow('boom');
    fail = false;
    await h(event('1'), ctx()); // released after the failure: runs again
    await h(event('1'), ctx()); // duplicate: skipped
    expect(runs).toBe(2);
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    const first = h(event('2'), ctx());
    await expect(h(event('2'), ctx())).rejects.toBeInstanceOf(RateLimitedError);
    open();
    await first;
    expect(runs).toBe(3);
  });
});
