import { describe, expect, it } from 'vitest';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import { createPostgresStore } from './postgres-store.js';

forEachDriver('smoke', (driver) => {
  const tdb = withTestDatabase(driver);
  it('create/get/list/update/delete/watch', async () => {
    const s = await createPostgresStore(tdb.db, { autoCompact: false });
    const w = s.watch({ resource: 'g/r', withBody: true, sinceResourceVersion: '0' });
    const a = await s.create({ resource: 'g/r', namespace: 'ns', name: 'a', uid: 'u1', metadata: { name: 'a', uid: 'u1', labels: { x: '1' } }, body: '{"spec":1}' });
    expect(a.resourceVersion).toBe('1');
    const g = await s.get({ resource: 'g/r', namespace: 'ns', name: 'a' });
    expect(g?.body).toBe('{"spec":1}');
    const u = await s.update({ resource: 'g/r', namespace: 'ns', name: 'a', uid: 'u1', metadata: { name: 'a', uid: 'u1' }, body: '{}', expectedResourceVersion: '1' });
    expect(u.resourceVersion).toBe('2');
    const l = await s.list({ resource: 'g/r', withBody: false });
    expect(l.items.length).toBe(1);
    const d = await s.delete({ resource: 'g/r', namespace: 'ns', name: 'a' });
    expect(d.resourceVersion).toBe('3');
    const it = w[Symbol.asyncIterator]();
    const evs = [];
    for (let i = 0; i < 3; i++) evs.push((await it.next()).value);
    expect(evs.map((e) => [e.type, e.object.resourceVersion])).toEqual([['ADDED', '1'], ['MODIFIED', '2'], ['DELETED', '3']]);
    w.close();
    await s.close();
  });
});
describe('x', () => it('y', () => undefined));
