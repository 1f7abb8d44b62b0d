/** Helpers shared by the store test files (not part of the public API). */
import type { CreateInput, StoredEvent, WatchHandle } from './types.js';

export const R = 'spdx.softwarecomposition.kubescape.io/vulnerabilitymanifests';

let uidSeq = 0;
export function obj(
  namespace: string,
  name: string,
  opts: { labels?: Record<string, string>; body?: string; resource?: string; uid?: string } = {},
): CreateInput {
  const uid = opts.uid ?? `uid-${++uidSeq}-${name}`;
  return {
    resource: opts.resource ?? R,
    namespace,
    name,
    uid,
    metadata: { name, ...(namespace ? { namespace } : {}), uid, ...(opts.labels ? { labels: opts.labels } : {}) },
    body: opts.body ?? JSON.stringify({ spec: { n: name } }),
  };
}

/** Take exactly n events, failing (instead of hanging) when they do not arrive in time. */
export async function take(w: WatchHandle, n: number, timeoutMs = 15_000): Promise<StoredEvent[]> {
  const it = w[Symbol.asyncIterator]();
  const out: StoredEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), Math.max(0, left));
      }),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error(`expected ${n} events, got ${out.length}: ${JSON.stringify(out.map(brief))}`);
    if (r.done) throw new Error(`watch ended after ${out.length} of ${n} events`);
    out.push(r.value);
  }
  return out;
}

export function brief(e: StoredEvent): string {
  return `${e.type}:${e.object.namespace}/${e.object.name}@${e.object.resourceVersion}`;
}

/**
 * Compaction with retention 0 drops the events created strictly before the database's now(): an
 * event committed in the same clock tick as the compaction (PGlite's clock ticks in milliseconds)
 * is not old yet, which made compaction tests flaky. They wait for the next tick first.
 */
export const nextClockTick = (): Promise<void> => new Promise((r) => setTimeout(r, 3));
