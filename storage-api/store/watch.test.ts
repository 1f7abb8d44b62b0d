import { afterAll, beforeAll, expect, it } from 'vitest';
import { pgListenerOf, type Database } from '../../lib/db/index.js';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';
import { brief, nextClockTick, obj, take } from './testutil.js';
import { ConflictError, GoneError, type StoredEvent, type StoredObject } from './types.js';
import { WatchOverflowError } from './watch.js';

forEachDriver('PostgresStore watch', (driver) => {
  const tdb = withTestDatabase(driver);
  let s!: PostgresStore;
  const extra: { store?: PostgresStore; db?: Database }[] = [];
  /** A second "server process": its own Database handle (new pool on pg) and Store. */
  async function replica(config: Parameters<typeof createPostgresStore>[1] = {}): Promise<PostgresStore> {
    const db = await tdb.open();
    const store = await createPostgresStore(db, { autoCompact: false, ...config });
    extra.push({ store, db });
    return store;
  }
  beforeAll(async () => {
    s = await createPostgresStore(tdb.db, { autoCompact: false });
  });
  afterAll(async () => {
    for (const e of extra) {
      await e.store?.close();
      await e.db?.close();
    }
    // Undefined when beforeAll failed: let that error be the one reported.
    await (s as PostgresStore | undefined)?.close();
  });

  it('replays from sinceResourceVersion, then continues live, in order and without duplicates', async () => {
    const R = 'w/replay';
    const a = await s.create(obj('ns', 'a', { resource: R }));
    await s.create(obj('ns', 'b', { resource: R }));
    await s.update({ ...obj('ns', 'a', { resource: R }), uid: a.uid });
    const w = s.watch({ resource: R, withBody: true, sinceResourceVersion: a.resourceVersion });
    const replayed = await take(w, 2);
    expect(replayed.map(brief)).toEqual([`ADDED:ns/b@${Number(a.resourceVersion) + 1}`, `MODIFIED:ns/a@${Number(a.resourceVersion) + 2}`]);
    await s.delete({ resource: R, namespace: 'ns', name: 'b' });
    const [live] = await take(w, 1);
    expect(live!.type).toBe('DELETED');
    expect(live!.object.body).toBeDefined();
    w.close();
  });

  it('bodies are stored once, yet every version replays, streams live and lists at its RV with its own body', async () => {
    const R = 'w/bodies';
    const live = s.watch({ resource: R, withBody: true, sinceResourceVersion: await s.currentResourceVersion() });
    const a0 = await s.create(obj('ns', 'a', { resource: R, body: '{"v":"a0"}' }));
    const a1 = await s.update({ ...obj('ns', 'a', { resource: R, body: '{"v":"a1"}' }), uid: a0.uid });
    await s.update({ ...obj('ns', 'a', { resource: R, body: '{"v":"a2"}' }), uid: a0.uid });
    await s.create(obj('ns', 'b', { resource: R, body: '{"v":"b0"}' }));
    await s.delete({ resource: R, namespace: 'ns', name: 'b' });
    const expected = ['ADDED:a0', 'MODIFIED:a1', 'MODIFIED:a2', 'ADDED:b0', 'DELETED:b0'];
    const bodies = (evs: StoredEvent[]): string[] => evs.map((e) => `${e.type}:${(JSON.parse(e.object.body!) as { v: string }).v}`);
    expect(bodies(await take(live, 5))).toEqual(expected);
    const replay = s.watch({ resource: R, withBody: true, sinceResourceVersion: String(Number(a0.resourceVersion) - 1) });
    expect(bodies(await take(replay, 5))).toEqual(expected);
    live.close();
    replay.close();
    // Snapshot lists read superseded versions from the log.
    for (const [rv, v] of [[a0.resourceVersion, 'a0'], [a1.resourceVersion, 'a1']] as const) {
      const at = await s.list({ resource: R, withBody: true, atResourceVersion: rv });
      expect(at.items.map((o) => [o.name, o.resourceVersion, o.body])).toEqual([['a', rv, `{"v":"${v}"}`]]);
    }
    // The current version's body is in storage_objects only; superseded ones moved into the log.
    const { rows } = await tdb.db.query<{ seq: string; has: boolean }>(
      `SELECT seq::text AS seq, body IS NOT NULL AS has FROM storage_events WHERE resource = $1 ORDER BY seq`,
      [R],
    );
    expect(rows.map((r) => r.has)).toEqual([true, true, false, true, true]);
  });

  it("a replica's own commits reach its body watchers without a body query; another replica reads them", async () => {
    const R = 'w/own-bodies';
    const other = await replica();
    const since = await s.currentResourceVersion();
    const mine = s.watch({ resource: R, withBody: true, sinceResourceVersion: since });
    const theirs = other.watch({ resource: R, withBody: true, sinceResourceVersion: since });
    await new Promise((r) => setTimeout(r, 50));
    const fetches = s.watchStats.bodyFetches;
    const otherFetches = other.watchStats.bodyFetches;
    const a = await s.create(obj('ns', 'a', { resource: R, body: '{"v":1}' }));
    await Promise.all([s.create(obj('ns', 'b', { resource: R, body: '{"v":2}' })), s.update({ ...obj('ns', 'a', { resource: R, body: '{"v":3}' }), uid: a.uid })]);
    const bodies = (evs: StoredEvent[]): string[] => evs.map((e) => `${e.object.name}:${e.object.body}`).sort();
    const want = ['a:{"v":1}', 'a:{"v":3}', 'b:{"v":2}'];
    expect(bodies(await take(mine, 3))).toEqual(want);
    expect(bodies(await take(theirs, 3))).toEqual(want);
    expect(s.watchStats.bodyFetches).toBe(fetches);
    expect(other.watchStats.bodyFetches).toBeGreaterThan(otherFetches);
    mine.close();
    theirs.close();
  });

  it('nextBatch hands over bursts in order, shares objects between watchers, and ends with undefined', async () => {
    const R = 'w/batch';
    const start = await s.create(obj('ns', 'x0', { resource: R }));
    const a = s.watch({ resource: R, withBody: true, sinceResourceVersion: start.resourceVersion });
    const b = s.watch({ resource: R, withBody: true, sinceResourceVersion: start.resourceVersion });
    await Promise.all(['x1', 'x2', 'x3', 'x4'].map((n) => s.create(obj('ns', n, { resource: R }))));
    const got: StoredEvent[] = [];
    while (got.length < 4) {
      const batch = await a.nextBatch!();
      expect(batch?.length).toBeGreaterThan(0);
      got.push(...batch!);
    }
    expect(got.map((e) => Number(e.object.resourceVersion))).toEqual([1, 2, 3, 4].map((i) => Number(start.resourceVersion) + i));
    const other = await take(b, 4);
    // The same object instances go to every watcher (engine caches serialisations on them).
    expect(other.map((e) => e.object)).toEqual(got.map((e) => e.object));
    expect(other[3]!.object).toBe(got[3]!.object);
    a.close();
    b.close();
    expect(await a.nextBatch!()).toBeUndefined();
  });

  it('without sinceResourceVersion starts at the current RV', async () => {
    const R = 'w/now';
    await s.create(obj('ns', 'before', { resource: R }));
    const w = s.watch({ resource: R, withBody: false });
    // The watch resolves "now" asynchronously; a write that follows its first delivered event
    // proves ordering, so write a marker first and check "before" never shows up.
    await new Promise((r) => setTimeout(r, 200));
    await s.create(obj('ns', 'after', { resource: R }));
    const [e] = await take(w, 1);
    expect(brief(e!)).toMatch(/^ADDED:ns\/after@/);
    w.close();
  });

  it('label-filtered watch turns entering/leaving the selection into ADDED/DELETED', async () => {
    const R = 'w/labels';
    const sel = { resource: R, withBody: false, labels: [{ key: 'app', op: 'eq' as const, value: 'x' }] };
    const start = await s.currentResourceVersion();
    const o = await s.create(obj('ns', 'o', { resource: R, labels: { app: 'y' } })); // not matching
    const upd = (labels: Record<string, string>) => s.update({ ...obj('ns', 'o', { resource: R, labels }), uid: o.uid });
    await upd({ app: 'x' }); // enters → ADDED
    await upd({ app: 'x', v: '2' }); // stays → MODIFIED
    await upd({ app: 'z' }); // leaves → DELETED
    await upd({ app: 'q' }); // still out → nothing
    await upd({ app: 'x' }); // enters again → ADDED
    await s.delete({ resource: R, namespace: 'ns', name: 'o' }); // deleted while matching → DELETED
    await s.create(obj('ns', 'sentinel', { resource: R, labels: { app: 'x' } }));
    const w = s.watch({ ...sel, sinceResourceVersion: start });
    const evs = await take(w, 6);
    expect(evs.map((e) => `${e.type}:${e.object.name}`), JSON.stringify(evs.map(brief))).toEqual([
      'ADDED:o',
      'MODIFIED:o',
      'DELETED:o',
      'ADDED:o',
      'DELETED:o',
      'ADDED:sentinel',
    ]);
    w.close();
    // The same sequence live (not replayed) behaves the same.
    const live = s.watch(sel);
    await new Promise((r) => setTimeout(r, 100));
    const p = await s.create(obj('ns', 'p', { resource: R, labels: { app: 'y' } }));
    await s.update({ ...obj('ns', 'p', { resource: R, labels: { app: 'x' } }), uid: p.uid });
    await s.update({ ...obj('ns', 'p', { resource: R, labels: { app: 'y' } }), uid: p.uid });
    expect((await take(live, 2)).map((e) => `${e.type}:${e.object.name}`)).toEqual(['ADDED:p', 'DELETED:p']);
    live.close();
  });

  it('filters by namespace and field selectors; metadata-only watchers never fetch bodies', async () => {
    const R = 'w/filters';
    const solo = await replica();
    const start = await solo.currentResourceVersion();
    const metaOnly = solo.watch({ resource: R, namespace: 'a', withBody: false, sinceResourceVersion: start });
    const byName = solo.watch({ resource: R, withBody: false, fields: [{ field: 'metadata.name', op: 'eq', value: 'n2' }], sinceResourceVersion: start });
    await solo.create(obj('b', 'n1', { resource: R }));
    await solo.create(obj('a', 'n1', { resource: R }));
    await solo.create(obj('b', 'n2', { resource: R }));
    await solo.create(obj('a', 'n3', { resource: R }));
    expect((await take(metaOnly, 2)).map(brief).map((x) => x.replace(/@\d+$/, ''))).toEqual(['ADDED:a/n1', 'ADDED:a/n3']);
    const [n2] = await take(byName, 1);
    expect(n2!.object.namespace + '/' + n2!.object.name).toBe('b/n2');
    expect('body' in n2!.object).toBe(false);
    expect(solo.watchStats.bodyFetches).toBe(0);
    metaOnly.close();
    byName.close();
    // Now a body watcher: bodies are fetched for it. (Written by another replica: this store's
    // own commits hand their bodies to its poller, see the test below.)
    const full = solo.watch({ resource: R, withBody: true });
    await new Promise((r) => setTimeout(r, 100));
    await (await replica()).create(obj('a', 'n4', { resource: R, body: '{"b":4}' }));
    const [e4] = await take(full, 1);
    expect(e4!.object.body).toBe('{"b":4}');
    expect(solo.watchStats.bodyFetches).toBeGreaterThan(0);
    full.close();
  });

  it('a slow watcher overflows with a GoneError without affecting a fast one', async () => {
    const R = 'w/overflow';
    const small = await replica({ config: { KSCAPE_STORAGE_WATCH_BUFFER: 5 } });
    const start = await small.currentResourceVersion();
    const slow = small.watch({ resource: R, withBody: false, sinceResourceVersion: start });
    const fast = small.watch({ resource: R, withBody: false, sinceResourceVersion: start });
    // Once a watcher has delivered an event it is live (a watcher still replaying history is
    // paced by its reader instead, and never overflows).
    await s.create(obj('ns', 'first', { resource: R }));
    expect((await take(slow, 1))[0]!.object.name).toBe('first');
    expect((await take(fast, 1))[0]!.object.name).toBe('first');
    const fastEvents: StoredEvent[] = [];
    const consumer = (async () => {
      for await (const e of fast) {
        fastEvents.push(e);
        if (fastEvents.length === 30) break;
      }
    })();
    consumer.catch(() => undefined); // awaited below; avoid an "unhandled" report meanwhile
    for (let i = 0; i < 30; i++) await s.create(obj('ns', `o${i}`, { resource: R }));
    await consumer;
    expect(fastEvents.map((e) => e.object.name)).toEqual(Array.from({ length: 30 }, (_, i) => `o${i}`));
    const it2 = slow[Symbol.asyncIterator]();
    const err = await it2.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WatchOverflowError);
    expect(err).toBeInstanceOf(GoneError);
    expect(small.watchStats.overflows).toBeGreaterThan(0);
  });

  it('a write on one store reaches a watch on another store of the same database (NOTIFY, no fallback poll)', async () => {
    const R = 'w/cross';
    // Fallback poll far beyond the test timeout: only the notification can deliver in time.
    const b = await replica({ config: { KSCAPE_STORAGE_WATCH_POLL_INTERVAL: 3_600_000 } });
    const w = b.watch({ resource: R, withBody: true });
    await new Promise((r) => setTimeout(r, 200));
    await s.create(obj('ns', 'x', { resource: R, body: '{"cross":1}' }));
    const [e] = await take(w, 1);
    expect(e!.object.body).toBe('{"cross":1}');
    w.close();
  });

  it('20 concurrent read-modify-write writers lose no update; a watch on another store sees every event once, in order', async () => {
    const R = 'w/counter';
    const b = await replica();
    const watcherStore = await replica();
    const start = await s.currentResourceVersion();
    const w = watcherStore.watch({ resource: R, withBody: true, sinceResourceVersion: start });
    await s.create({ ...obj('ns', 'counter', { resource: R }), body: JSON.stringify({ n: 0 }) });
    const WRITERS = 20;
    const PER = 10;
    let conflicts = 0;
    const writer = async (i: number) => {
      const store = i % 2 ? b : s;
      for (let k = 0; k < PER; k++) {
        for (;;) {
          const cur = await store.get({ resource: R, namespace: 'ns', name: 'counter' });
          const n = (JSON.parse(cur!.body!) as { n: number }).n;
          try {
            await store.update({
              resource: R,
              namespace: 'ns',
              name: 'counter',
              uid: cur!.uid,
              metadata: cur!.metadata,
              body: JSON.stringify({ n: n + 1 }),
              expectedResourceVersion: cur!.resourceVersion,
            });
            break;
          } catch (e) {
            if (!(e instanceof ConflictError)) throw e;
            conflicts++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
    const final = await s.get({ resource: R, namespace: 'ns', name: 'counter' });
    expect(JSON.parse(final!.body!)).toEqual({ n: WRITERS * PER });
    expect(conflicts).toBeGreaterThan(0); // the test really exercised contention
    const evs = await take(w, 1 + WRITERS * PER);
    const rvs = evs.map((e) => Number(e.object.resourceVersion));
    // Only this test writes R: RVs strictly increase, and the bodies count 0..N without a gap.
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]!);
    expect(evs.map((e) => (JSON.parse(e.object.body!) as { n: number }).n)).toEqual(Array.from({ length: 1 + WRITERS * PER }, (_, i) => i));
    expect(String(rvs[rvs.length - 1])).toBe(final!.resourceVersion);
    w.close();
  });

  it('lists taken during concurrent writes are exactly the state at their RV (checked against the watch log)', async () => {
    const R = 'w/consistency';
    const start = await s.currentResourceVersion();
    const b = await replica();
    const log: StoredEvent[] = [];
    const w = s.watch({ resource: R, withBody: false, sinceResourceVersion: start });
    let stop = false;
    const collector = (async () => {
      for await (const e of w) log.push(e);
    })();
    const writer = async (store: PostgresStore, seed: number) => {
      let x = seed;
      for (let i = 0; i < 60; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const name = `k${x % 12}`;
        const cur = await store.get({ resource: R, namespace: 'ns', name }, { withBody: false });
        try {
          if (!cur) await store.create(obj('ns', name, { resource: R }));
          else if (x % 3 === 0) await store.delete({ resource: R, namespace: 'ns', name });
          else await store.update({ ...obj('ns', name, { resource: R }), uid: cur.uid });
        } catch {
          // Races with the other writers (exists / not found) are expected and irrelevant here.
        }
      }
    };
    const lists: { rv: string; items: StoredObject[] }[] = [];
    const lister = (async () => {
      while (!stop) {
        const l = await (lists.length % 2 ? b : s).list({ resource: R, withBody: false });
        lists.push({ rv: l.resourceVersion, items: l.items });
        // PGlite answers queries within the microtask queue: a loop that never leaves it starves
        // timers, including the stores' write-linger timers the writers wait on, and the test spun
        // forever (seen on PGlite under load; HTTP clients always yield). A macrotask turn every
        // few lists lets the timers run and still lists many times while the writers write.
        if (lists.length % 4 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all([writer(s, 1), writer(b, 2), writer(s, 3), writer(b, 4)]);
    stop = true;
    await lister;
    const end = Number(await s.currentResourceVersion());
    while (log.length === 0 || Number(log[log.length - 1]!.object.resourceVersion) < end) await new Promise((r) => setTimeout(r, 20));
    w.close();
    await collector;
    expect(lists.length).toBeGreaterThan(3);
    for (const l of lists) {
      const state = new Map<string, string>();
      for (const e of log) {
        if (Number(e.object.resourceVersion) > Number(l.rv)) break;
        if (e.type === 'DELETED') state.delete(e.object.name);
        else state.set(e.object.name, e.object.resourceVersion);
      }
      const got = new Map(l.items.map((o) => [o.name, o.resourceVersion]));
      expect(got, `list at ${l.rv}`).toEqual(state);
    }
  });

  it('resume after a server restart yields exactly the missed events', async () => {
    const R = 'w/restart';
    const db1 = await tdb.open();
    let server = await createPostgresStore(db1, { autoCompact: false });
    const start = await server.currentResourceVersion();
    const w = server.watch({ resource: R, withBody: false, sinceResourceVersion: start });
    for (let i = 0; i < 5; i++) await s.create(obj('ns', `r${i}`, { resource: R }));
    const seen = await take(w, 3);
    const resumeAt = seen[2]!.object.resourceVersion;
    await server.close();
    await db1.close();
    // While "down": more writes through another server.
    for (let i = 5; i < 9; i++) await s.create(obj('ns', `r${i}`, { resource: R }));
    const db2 = await tdb.open();
    server = await createPostgresStore(db2, { autoCompact: false });
    extra.push({ store: server, db: db2 });
    const w2 = server.watch({ resource: R, withBody: false, sinceResourceVersion: resumeAt });
    await s.create(obj('ns', 'r9', { resource: R }));
    const resumed = await take(w2, 7);
    expect(resumed.map((e) => e.object.name)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    w2.close();
  });

  it('watching from a compacted RV fails with GoneError; from the compaction point it works', async () => {
    const R = 'w/gone';
    const old = await s.currentResourceVersion();
    await s.create(obj('ns', 'g1', { resource: R }));
    const compactor = await replica({ config: { KSCAPE_STORAGE_EVENT_RETENTION: 0 } });
    await nextClockTick();
    const c = await compactor.compact();
    expect(Number(c)).toBeGreaterThan(Number(old));
    const w = s.watch({ resource: R, withBody: false, sinceResourceVersion: old });
    await expect(w[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(GoneError);
    const ok = s.watch({ resource: R, withBody: false, sinceResourceVersion: c });
    await s.create(obj('ns', 'g2', { resource: R }));
    expect((await take(ok, 1))[0]!.object.name).toBe('g2');
    ok.close();
  });

  if (driver === 'pg')
    it('after the LISTEN connection drops, the watcher resyncs and misses nothing', async () => {
      const R = 'w/reconnect';
      const b = await replica({ config: { KSCAPE_STORAGE_WATCH_POLL_INTERVAL: 3_600_000 } });
      const w = b.watch({ resource: R, withBody: false });
      await new Promise((r) => setTimeout(r, 200));
      await s.create(obj('ns', 'before', { resource: R }));
      expect((await take(w, 1))[0]!.object.name).toBe('before');
      const listener = pgListenerOf(b.db);
      expect(listener).toBeDefined();
      await listener!.simulateDisconnect();
      // Written while the notification connection is down: only the resync can deliver it.
      await s.create(obj('ns', 'during', { resource: R }));
      expect((await take(w, 1))[0]!.object.name).toBe('during');
      expect(listener!.wasDisconnected).toBe(false);
      await s.create(obj('ns', 'after', { resource: R }));
      expect((await take(w, 1))[0]!.object.name).toBe('after');
      w.close();
    });
});
