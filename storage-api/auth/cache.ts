/**
 * Small bounded TTL cache with LRU eviction and in-flight de-duplication, for TokenReview and
 * SubjectAccessReview answers. Every request of a busy client (kubectl watch, the aggregator's
 * discovery checks, our own functions) would otherwise cost one round trip to kube-apiserver.
 *
 * Bounded because keys come from clients: an attacker sending random tokens must not grow memory.
 * The clock is injectable so tests move time instead of sleeping.
 */
import type { Clock } from './frontproxy.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

export class TtlCache<V> {
  // Map iteration order is insertion order: re-inserting on hit makes the first key the LRU one.
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inflight = new Map<string, Promise<V>>();
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly clock: Clock = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('cache size must be a positive integer');
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.clock() >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * Cached value, or compute it once even if many callers ask concurrently (a burst of requests
   * with the same new token makes one TokenReview, not fifty). `ttl` decides per value how long it
   * may be reused (0 = do not cache, e.g. for errors).
   */
  async getOrCompute(key: string, compute: () => Promise<V>, ttl: (v: V) => number): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const p = (async () => {
      try {
        const v = await compute();
        this.set(key, v, ttl(v));
        return v;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, p);
    return p;
  }

  clear(): void {
    this.entries.clear();
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size };
  }
}
