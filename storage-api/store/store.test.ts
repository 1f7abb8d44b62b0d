import { beforeAll, expect, it } from 'vitest';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import { matchLabels } from './filter.js';
import { createPostgresStore, servedMetadataJson, TooLargeResourceVersionError, type PostgresStore } from './postgres-store.js';
import { nextClockTick, obj, R } from './testutil.js';
import {
  AlreadyExistsError,
  BadContinueError,
  ConflictError,
  GoneError,
  NotFoundError,
  type LabelRequirement,
  type StoredObject,
} from './types.js';

const key = (namespace: string, name: string, resource = R) => ({ resource, namespace, name });
const names = (items: StoredObject[]) => items.map((o) => `${o.namespace}/${o.name}`);

forEachDriver('PostgresStore CRUD, list, snapshots, compaction', (driver) => {
  const tdb = withTestDatabase(driver);
  let s: PostgresStore;
  beforeAll(async () => {
    s = await createPostgresStore(tdb.db, { autoCompact: false });
    return () => s.close();
  });

  it('create assigns increasing RVs, rejects duplicates with AlreadyExistsError, dryRun writes nothing', async () => {
    const a = await s.create(obj('crud', 'a'));
    expect(a.metadata.resourceVersion).toBe(a.resourceVersion);
    await expect(s.create(obj('crud', 'a'))).rejects.toBeInstanceOf(AlreadyExistsError);
    const before = await s.currentResourceVersion();
    const dry = await s.create(obj('crud', 'dry', { body: '{"spec":{"x":1}}' }), { dryRun: true });
    expect(dry.body).toBe('{"spec":{"x":1}}');
    expect(await s.currentResourceVersion()).toBe(before);
    expect(await s.get(key('crud', 'dry'))).toBeUndefined();
    await expect(s.create(obj('crud', 'a'), { dryRun: true })).rejects.toBeInstanceOf(AlreadyExistsError);
    const b = await s.create(obj('crud', 'b'));
    expect(Number(b.resourceVersion)).toBe(Number(a.resourceVersion) + 1);
    // resourceVersion supplied by a client is never stored.
    const c = obj('crud', 'c');
    c.metadata.resourceVersion = '999999';
    const stored = await s.create(c);
    expect((await s.get(key('crud', 'c')))?.metadata.resourceVersion).toBe(stored.resourceVersion);
  });

  it('create/update with metadataJson and adopt: the text is stored as given, the result is the caller\'s objects; without adopt a copy', async () => {
    const input = { ...obj('adopt', 'a1', { labels: { app: 'x' } }), summary: { critical: 1 } };
    const metadataJson = JSON.stringify(input.metadata);
    const a = await s.create({ ...input, metadataJson }, { adopt: true });
    expect(a.metadata).toBe(input.metadata);
    expect(a.summary).toBe(input.summary);
    expect(a.metadata.resourceVersion).toBe(a.resourceVersion);
    // resourceVersion is the last key, as on the re-parsed copy of the default path.
    expect(JSON.stringify(a.metadata)).toBe(`${metadataJson.slice(0, -1)},"resourceVersion":"${a.resourceVersion}"}`);
    const read = await s.get(key('adopt', 'a1'));
    expect(read?.metadata).toEqual(a.metadata);
    expect(read?.summary).toEqual({ critical: 1 });
    // The stored text is the caller's (the store does not serialise `metadata` again).
    const marked = obj('adopt', 'a2');
    const b = await s.create({ ...marked, metadataJson: JSON.stringify({ ...marked.metadata, annotations: { from: 'text' } }) });
    expect(b.metadata.annotations).toEqual({ from: 'text' });
    expect((await s.get(key('adopt', 'a2')))?.metadata.annotations).toEqual({ from: 'text' });
    // Without adopt the result is a copy: changing the input afterwards does not change it.
    const plain = { ...obj('adopt', 'a3'), summary: { critical: 2 } };
    const c = await s.create(plain);
    expect(c.metadata).not.toBe(plain.metadata);
    plain.metadata.name = 'changed';
    plain.summary.critical = 9;
    expect(c.metadata.name).toBe('a3');
    expect(c.summary).toEqual({ critical: 2 });
    const upd = { ...obj('adopt', 'a1', { uid: a.uid, labels: { app: 'y' } }), summary: { critical: 0 } };
    const u = await s.update({ ...upd, metadataJson: JSON.stringify(upd.metadata) }, { adopt: true });
    expect(u.metadata).toBe(upd.metadata);
    expect((await s.get(key('adopt', 'a1')))?.metadata.labels).toEqual({ app: 'y' });
    const dry = obj('adopt', 'dry');
    const d = await s.create({ ...dry, metadataJson: JSON.stringify(dry.metadata) }, { dryRun: true, adopt: true });
    expect(d.metadata).toBe(dry.metadata);
    expect(d.resourceVersion).toBe('');
    expect(await s.get(key('adopt', 'dry'))).toBeUndefined();
  });

  it('summary is stored with metadata: returned by metadata-only get, list and watch, replaced on update', async () => {
    const start = await s.currentResourceVersion();
    const o = await s.create({ ...obj('sum', 's1'), summary: { critical: 3 } });
    expect(o.summary).toEqual({ critical: 3 });
    expect((await s.get(key('sum', 's1'), { withBody: false }))?.summary).toEqual({ critical: 3 });
    expect((await s.list({ resource: R, namespace: 'sum', withBody: false })).items[0]?.summary).toEqual({ critical: 3 });
    await s.update({ ...obj('sum', 's1', { uid: o.uid }), summary: { critical: 0 } });
    await s.create(obj('sum', 'nosummary'));
    expect((await s.get(key('sum', 'nosummary')))?.summary).toBeUndefined();
    expect((await s.list({ resource: R, namespace: 'sum', withBody: false, atResourceVersion: o.resourceVersion })).items[0]?.summary).toEqual({ critical: 3 });
    const w = s.watch({ resource: R, namespace: 'sum', withBody: false, sinceResourceVersion: start });
    const it = w[Symbol.asyncIterator]();
    expect((await it.next()).value?.object.summary).toEqual({ critical: 3 });
    expect((await it.next()).value?.object.summary).toEqual({ critical: 0 });
    w.close();
    expect((await s.delete(key('sum', 's1'))).summary).toEqual({ critical: 0 });
  });

  it('get with withBody false returns metadata only', async () => {
    await s.create(obj('crud', 'g', { body: '{"spec":{"big":"x"}}', labels: { a: 'b' } }));
    const full = await s.get(key('crud', 'g'));
    expect(full?.body).toBe('{"spec":{"big":"x"}}');
    const meta = await s.get(key('crud', 'g'), { withBody: false });
    expect(meta).toBeDefined();
    expect('body' in meta!).toBe(false);
    expect(meta!.metadata.labels).toEqual({ a: 'b' });
    expect(meta!.uid).toBe(full!.uid);
  });

  it('update: optimistic concurrency, NotFound, uid mismatch, dryRun', async () => {
    const o = await s.create(obj('upd', 'x', { labels: { v: '1' } }));
    const u1 = await s.update({ ...obj('upd', 'x', { uid: o.uid, labels: { v: '2' } }), expectedResourceVersion: o.resourceVersion });
    expect(Number(u1.resourceVersion)).toBeGreaterThan(Number(o.resourceVersion));
    expect(u1.metadata.labels).toEqual({ v: '2' });
    await expect(
      s.update({ ...obj('upd', 'x', { uid: o.uid }), expectedResourceVersion: o.resourceVersion }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(s.update(obj('upd', 'missing'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(s.update(obj('upd', 'x', { uid: 'another-uid' }))).rejects.toBeInstanceOf(ConflictError);
    // Empty uid keeps the stored one.
    const u2 = await s.update({ ...obj('upd', 'x'), uid: '' });
    expect(u2.uid).toBe(o.uid);
    expect((await s.get(key('upd', 'x')))?.metadata.uid).toBe(o.uid);
    const before = await s.currentResourceVersion();
    const dry = await s.update({ ...obj('upd', 'x', { uid: o.uid, body: '{"dry":true}' }), expectedResourceVersion: u2.resourceVersion }, { dryRun: true });
    expect(dry.body).toBe('{"dry":true}');
    expect(await s.currentResourceVersion()).toBe(before);
    expect((await s.get(key('upd', 'x')))?.body).not.toBe('{"dry":true}');
    await expect(
      s.update({ ...obj('upd', 'x', { uid: o.uid }), expectedResourceVersion: o.resourceVersion }, { dryRun: true }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('delete: preconditions on uid and resourceVersion, NotFound, dryRun, returns the last state', async () => {
    const o = await s.create(obj('del', 'd', { body: '{"last":1}' }));
    await expect(s.delete(key('del', 'd'), { uid: 'nope' })).rejects.toBeInstanceOf(ConflictError);
    await expect(s.delete(key('del', 'd'), { resourceVersion: '1' })).rejects.toBeInstanceOf(ConflictError);
    const dry = await s.delete(key('del', 'd'), { uid: o.uid }, { dryRun: true });
    expect(dry.body).toBe('{"last":1}');
    expect(await s.get(key('del', 'd'))).toBeDefined();
    const gone = await s.delete(key('del', 'd'), { uid: o.uid, resourceVersion: o.resourceVersion });
    expect(gone.body).toBe('{"last":1}');
    expect(Number(gone.resourceVersion)).toBeGreaterThan(Number(o.resourceVersion));
    expect(await s.get(key('del', 'd'))).toBeUndefined();
    await expect(s.delete(key('del', 'd'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a batch with one invalid write fails only that write', async () => {
    const good = [1, 2, 3, 4].map((i) => s.create(obj('batch', `ok${i}`)));
    const bad = s.create({ ...obj('batch', 'bad'), body: 'a\u0000b' });
    const dup = s.create(obj('crud', 'a'));
    await expect(bad).rejects.toThrow(/NUL/);
    await expect(dup).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await Promise.all(good)).length).toBe(4);
  });

  it('list filters by namespace, fields and every label operator, in SQL exactly as in memory', async () => {
    const R2 = 'test/labels';
    const values = [undefined, 'a', 'b'];
    let n = 0;
    for (const env of values)
      for (const tier of values) {
        const labels: Record<string, string> = {};
        if (env) labels.env = env;
        if (tier) labels.tier = tier;
        await s.create(obj(n % 2 ? 'ns1' : 'ns2', `o${n++}`, { labels, resource: R2 }));
      }
    await s.create(obj('', 'cluster-scoped', { labels: { env: 'a' }, resource: R2 }));
    const all = (await s.list({ resource: R2, withBody: false })).items;
    expect(all.length).toBe(10);
    // Sorted by (namespace, name); cluster-scoped ('' namespace) first.
    const sorted = [...names(all)].sort();
    expect(names(all)).toEqual(sorted);
    const cases: LabelRequirement[][] = [
      [{ key: 'env', op: 'exists' }],
      [{ key: 'env', op: 'notexists' }],
      [{ key: 'env', op: 'eq', value: 'a' }],
      [{ key: 'env', op: 'neq', value: 'a' }],
      [{ key: 'env', op: 'in', values: ['a', 'b'] }],
      [{ key: 'env', op: 'in', values: [] }],
      [{ key: 'env', op: 'notin', values: ['a'] }],
      [{ key: 'env', op: 'notin', values: [] }],
      [
        { key: 'env', op: 'eq', value: 'b' },
        { key: 'tier', op: 'neq', value: 'a' },
      ],
      [
        { key: 'tier', op: 'notexists' },
        { key: 'env', op: 'exists' },
      ],
    ];
    for (const labels of cases) {
      const got = names((await s.list({ resource: R2, labels, withBody: false })).items);
      const want = names(all.filter((o) => matchLabels(o.metadata.labels, labels)));
      expect(got, JSON.stringify(labels)).toEqual(want);
      // Every case except "notin ()" (which matches everything by definition) must select a subset.
      if (!(labels[0]?.op === 'notin' && labels[0].values.length === 0))
        expect(want.length, `case ${JSON.stringify(labels)} should not be trivial`).toBeLessThan(10);
    }
    // The SQL is not trivially "everything": the neq case excludes exactly env=a.
    expect(names((await s.list({ resource: R2, labels: [{ key: 'env', op: 'neq', value: 'a' }], withBody: false })).items)).not.toContain('/cluster-scoped');
    expect(names((await s.list({ resource: R2, namespace: 'ns1', withBody: false })).items).every((k) => k.startsWith('ns1/'))).toBe(true);
    expect(names((await s.list({ resource: R2, namespace: '', withBody: false })).items)).toEqual(['/cluster-scoped']);
    expect(names((await s.list({ resource: R2, fields: [{ field: 'metadata.name', op: 'eq', value: 'o3' }], withBody: false })).items)).toEqual(['ns1/o3']);
    expect(
      (await s.list({ resource: R2, fields: [{ field: 'metadata.namespace', op: 'neq', value: 'ns1' }], withBody: false })).items.every(
        (o) => o.namespace !== 'ns1',
      ),
    ).toBe(true);
  });

  it('limit/continue pages through everything once, in order, with remainingItemCount', async () => {
    const R3 = 'test/paging';
    for (let i = 0; i < 23; i++) await s.create(obj(`ns${i % 3}`, `p${String(i).padStart(2, '0')}`, { resource: R3 }));
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    let first: { remaining?: number; rv: string } | undefined;
    do {
      const page = await s.list({ resource: R3, limit: 5, withBody: false, ...(cont ? { continue: cont } : {}) });
      if (!first) first = { rv: page.resourceVersion, ...(page.remainingItemCount !== undefined ? { remaining: page.remainingItemCount } : {}) };
      else expect(page.resourceVersion).toBe(first.rv);
      seen.push(...names(page.items));
      cont = page.continue;
      pages++;
    } while (cont);
    expect(pages).toBe(5);
    expect(first?.remaining).toBe(18);
    expect(seen.length).toBe(23);
    expect(new Set(seen).size).toBe(23);
    expect(seen).toEqual([...seen].sort());
  });

  it('continue pages are served as of the first page RV even after updates, deletes and creates', async () => {
    const R4 = 'test/snapshot';
    for (let i = 0; i < 8; i++) await s.create(obj('ns', `s${i}`, { resource: R4, body: `{"v":"old${i}"}`, labels: { keep: 'y' } }));
    const first = await s.list({ resource: R4, limit: 3, withBody: true, labels: [{ key: 'keep', op: 'eq', value: 'y' }] });
    const snapshotState = (await s.list({ resource: R4, withBody: true, atResourceVersion: first.resourceVersion })).items;
    expect(snapshotState.length).toBe(8);
    // Change everything after the snapshot.
    const cur4 = await s.get({ resource: R4, namespace: 'ns', name: 's4' });
    await s.update({ ...obj('ns', 's4', { resource: R4, uid: cur4!.uid, body: '{"v":"new"}', labels: { keep: 'y' } }) });
    await s.update({ ...obj('ns', 's5', { resource: R4, body: '{"v":"unlabelled"}' }), uid: '' });
    await s.delete({ resource: R4, namespace: 'ns', name: 's6' });
    await s.create(obj('ns', 's35', { resource: R4, labels: { keep: 'y' } }));
    await s.create(obj('ns', 's9', { resource: R4, labels: { keep: 'y' } }));
    const rest: StoredObject[] = [];
    let cont = first.continue;
    while (cont) {
      const page = await s.list({ resource: R4, limit: 3, withBody: true, continue: cont, labels: [{ key: 'keep', op: 'eq', value: 'y' }] });
      expect(page.resourceVersion).toBe(first.resourceVersion);
      rest.push(...page.items);
      cont = page.continue;
    }
    const all = [...first.items, ...rest];
    expect(all.map((o) => [o.name, o.resourceVersion, o.body])).toEqual(snapshotState.map((o) => [o.name, o.resourceVersion, o.body]));
    // And the latest state really differs.
    const latest = await s.list({ resource: R4, withBody: true, labels: [{ key: 'keep', op: 'eq', value: 'y' }] });
    expect(names(latest.items)).toEqual(['ns/s0', 'ns/s1', 'ns/s2', 'ns/s3', 'ns/s35', 'ns/s4', 'ns/s7', 'ns/s9']);
  });

  it('bad continue tokens and too-new resourceVersions are rejected', async () => {
    await expect(s.list({ resource: R, continue: 'garbage!', withBody: false })).rejects.toBeInstanceOf(BadContinueError);
    await expect(s.list({ resource: R, continue: Buffer.from('{"v":1}').toString('base64url'), withBody: false })).rejects.toBeInstanceOf(BadContinueError);
    const page = await s.list({ resource: 'test/paging', limit: 1, withBody: false });
    await expect(s.list({ resource: 'test/other', continue: page.continue!, withBody: false })).rejects.toBeInstanceOf(BadContinueError);
    const cur = Number(await s.currentResourceVersion());
    await expect(s.list({ resource: R, atResourceVersion: String(cur + 100), withBody: false })).rejects.toBeInstanceOf(TooLargeResourceVersionError);
  });

  it('compaction: old continue tokens and old RVs get GoneError; snapshots at the compaction point stay exact', async () => {
    const R5 = 'test/compact';
    for (const n of ['a', 'b', 'c', 'd']) await s.create(obj('ns', n, { resource: R5, body: `{"v":"${n}0"}` }));
    // Retention 0: everything committed so far is "old".
    const s0 = await createPostgresStore(tdb.db, { autoCompact: false, migrate: false, config: { KSCAPE_STORAGE_EVENT_RETENTION: 0 } });
    try {
      const page1 = await s.list({ resource: R5, limit: 1, withBody: true });
      await nextClockTick();
      const c1 = await s0.compact();
      expect(c1).toBe(page1.resourceVersion);
      expect(await s.compactedResourceVersion()).toBe(c1);
      // The page-1 snapshot is exactly at the compaction point: still servable after changes,
      // which requires the store to put the pre-change versions back into the log.
      const b = await s.get({ resource: R5, namespace: 'ns', name: 'b' });
      await s.update({ ...obj('ns', 'b', { resource: R5, body: '{"v":"b1"}' }), uid: b!.uid });
      await s.delete({ resource: R5, namespace: 'ns', name: 'c' });
      const page2 = await s.list({ resource: R5, limit: 10, withBody: true, continue: page1.continue! });
      expect(page2.items.map((o) => [o.name, o.body])).toEqual([
        ['b', '{"v":"b0"}'],
        ['c', '{"v":"c0"}'],
        ['d', '{"v":"d0"}'],
      ]);
      expect(page2.items[0]!.resourceVersion).toBe(b!.resourceVersion);
      // Compact past the snapshot: the token is now expired.
      await s.create(obj('ns', 'e', { resource: R5 }));
      await nextClockTick();
      const c2 = await s0.compact();
      expect(Number(c2)).toBeGreaterThan(Number(c1));
      await expect(s.list({ resource: R5, limit: 1, withBody: false, continue: page1.continue! })).rejects.toBeInstanceOf(GoneError);
      await expect(s.list({ resource: R5, withBody: false, atResourceVersion: c1 })).rejects.toBeInstanceOf(GoneError);
      // At the new compaction point everything is still exact.
      const at = await s.list({ resource: R5, withBody: true, atResourceVersion: c2 });
      const now = await s.list({ resource: R5, withBody: true });
      expect(at.items.map((o) => [o.name, o.resourceVersion, o.body])).toEqual(now.items.map((o) => [o.name, o.resourceVersion, o.body]));
      // Compacting without new events is a no-op.
      expect(await s0.compact()).toBe(c2);
    } finally {
      await s0.close();
    }
  });
  it('metadataJson lists: the served metadata as JSON text, the cells\' fields parsed, latest and at a snapshot', async () => {
    const RJ = 'test/metadatajson';
    const created = (name: string) => ({ creationTimestamp: '2026-01-02T03:04:05Z', annotations: { note: `a "quoted" é ${name}` } });
    const a = obj('ns-j', 'a', { resource: RJ, labels: { app: 'x', namespace: 'label-named-namespace' } });
    Object.assign(a.metadata, created('a'));
    const c = obj('', 'cluster-c', { resource: RJ, labels: { namespace: 'n' } });
    Object.assign(c.metadata, created('c'));
    const b = obj('ns-j', 'b', { resource: RJ });
    await s.create(a);
    await s.create(b);
    await s.create(c);
    const snap = await s.currentResourceVersion();
    // A later change: the snapshot list reads b's old version from the event log.
    const b1 = await s.update({ ...obj('ns-j', 'b', { resource: RJ, labels: { v: '2' } }), uid: b.uid });
    for (const at of [undefined, snap]) {
      const plain = await s.list({ resource: RJ, withBody: false, ...(at ? { atResourceVersion: at } : {}) });
      const spliced = await s.list({ resource: RJ, withBody: false, metadataJson: true, ...(at ? { atResourceVersion: at } : {}) });
      expect(spliced.items.map((o) => o.name)).toEqual(plain.items.map((o) => o.name));
      for (const [i, o] of spliced.items.entries()) {
        const p = plain.items[i]!;
        const served: Record<string, unknown> = { ...p.metadata, resourceVersion: p.resourceVersion };
        if (!p.namespace) delete served.namespace;
        expect(JSON.parse(o.metadataJson!)).toEqual(served);
        // Only the fields Table cells may read, with the values of the full metadata.
        const { name, namespace, uid, creationTimestamp, labels, resourceVersion } = served;
        expect(o.metadata).toEqual(
          Object.fromEntries(Object.entries({ name, namespace, uid, creationTimestamp, labels, resourceVersion }).filter(([, v]) => v !== undefined)),
        );
      }
    }
    expect((await s.list({ resource: RJ, withBody: false, metadataJson: true })).items.find((o) => o.name === 'b')!.metadata.labels).toEqual({ v: '2' });
    // Fields not asked for are not read; the text is the same.
    const bare = await s.list({ resource: RJ, withBody: false, metadataJson: { labels: false, creationTimestamp: false } });
    const full = await s.list({ resource: RJ, withBody: false, metadataJson: true });
    expect(bare.items.map((o) => o.metadataJson)).toEqual(full.items.map((o) => o.metadataJson));
    expect(bare.items.map((o) => [o.metadata.labels, o.metadata.creationTimestamp])).toEqual(bare.items.map(() => [undefined, undefined]));
    const labelsOnly = await s.list({ resource: RJ, withBody: false, metadataJson: { labels: true, creationTimestamp: false }, atResourceVersion: snap });
    expect(labelsOnly.items.find((o) => o.name === 'a')!.metadata).toMatchObject({ labels: { app: 'x' } });
    expect(labelsOnly.items.find((o) => o.name === 'a')!.metadata.creationTimestamp).toBeUndefined();
    expect(b1.resourceVersion).not.toBe(snap);
  });

  it('servedMetadataJson splices the resourceVersion, or re-serialises when the text names one or a cluster object names a namespace', () => {
    expect(JSON.parse(servedMetadataJson('{"name": "a", "uid": "u"}', '12', 'ns'))).toEqual({ name: 'a', uid: 'u', resourceVersion: '12' });
    expect(JSON.parse(servedMetadataJson('{}', '3', 'ns'))).toEqual({ resourceVersion: '3' });
    expect(JSON.parse(servedMetadataJson('{"name": "a", "resourceVersion": "1"}', '12', 'ns'))).toEqual({ name: 'a', resourceVersion: '12' });
    expect(JSON.parse(servedMetadataJson('{"name": "a", "namespace": "x"}', '5', ''))).toEqual({ name: 'a', resourceVersion: '5' });
    // A label named namespace on a cluster-scoped object takes the slow path and survives it.
    expect(JSON.parse(servedMetadataJson('{"name": "a", "labels": {"namespace": "n"}}', '5', ''))).toEqual({ name: 'a', labels: { namespace: 'n' }, resourceVersion: '5' });
  });
  it('an empty listing still carries the current resourceVersion (its own statement), with or without a limit', async () => {
    await s.create(obj('ns-e', 'other', { resource: 'test/not-empty' }));
    const cur = await s.currentResourceVersion();
    for (const limit of [undefined, 5]) {
      const r = await s.list({ resource: 'test/empty', withBody: false, ...(limit ? { limit } : {}) });
      expect(r.items).toEqual([]);
      expect(r.resourceVersion).toBe(cur);
      expect(r.continue).toBeUndefined();
    }
  });
});
