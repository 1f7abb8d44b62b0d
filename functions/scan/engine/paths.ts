/**
 * Shared path strings. A control builds `spec.template.spec.containers[0].securityContext.privileged`
 * for thousands of workloads; `at(base, suffix)` returns one shared string per (base, suffix) pair,
 * so findings built on it can be interned (see `intern.ts`) and the report's path pool hashes each
 * distinct path once (V8 caches a string's hash) instead of once per workload. The result is always
 * `base + suffix`.
 */
import { PairMemo } from './intern.js';

// Distinct (base, suffix) pairs are few (3 pod-spec prefixes × container slots × field paths);
// the bound only matters for hostile input with thousands of containers.
const joined = new PairMemo<string>(50_000);

export function at(base: string, suffix: string): string {
  return joined.get(base, suffix, () => base + suffix);
}

/** `base[index]` (list element paths: `containers[2]`, `volumeMounts[0]`). */
export function indexed(base: string, index: number): string {
  return index < INDEX_SUFFIX.length ? at(base, INDEX_SUFFIX[index] as string) : `${base}[${index}]`;
}

const INDEX_SUFFIX: readonly string[] = Array.from({ length: 64 }, (_, i) => `[${i}]`);
