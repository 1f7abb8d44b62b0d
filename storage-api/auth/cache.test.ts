import { describe, expect, it } from 'vitest';
import { TtlCache } from './cache.js';

describe('TtlCache', () => {
  it('expires entries by the injected clock', () => {
    let now = 0;
    const c = new TtlCache<string>(10, () => now);
    c.set('k', 'v', 100);
    now = 99;
    expect(c.get('k')).toBe('v');
    now = 100;
    expect(c.get('k')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond the bound', () => {
    const c = new TtlCache<number>(2, () => 0);
    c.set('a', 1, 1000);
    c.set('b', 2, 1000);
    expect(c.get('a')).toBe(1); // a is now most recent
    c.set('c', 3, 1000); // evicts b
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.stats().size).toBe(2);
  });

  it('does not cache with a zero TTL or a failed computation, and de-duplicates concurrent computations', async () => {
    const c = new TtlCache<number>(10, () => 0);
    let calls = 0;
    const slow = () => new Promise<number>((r) => setImmediate(() => r(++calls)));
    const rs = await Promise.all([1, 2, 3].map(() => c.getOrCompute('k', slow, () => 1000)));
    expect(rs).toEqual([1, 1, 1]);
    expect(calls).toBe(1);

    await c.getOrCompute('z', slow, () => 0);
    await c.getOrCompute('z', slow, () => 0);
    expect(calls).toBe(3);

    await expect(c.getOrCompute('e', () => Promise.reject(new Error('boom')), () => 1000)).rejects.toThrow('boom');
    expect(await c.getOrCompute('e', slow, () => 1000)).toBe(4);
  });

  it('refuses a non-positive bound', () => {
    expect(() => new TtlCache(0)).toThrow();
  });
});
