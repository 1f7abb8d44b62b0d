/**
 * Shared path strings. A control builds `spec.template.spec.containers[0].securityContext.privileged`
 * for thousands of workloads; `at(base, suffix)` returns one shared string per (base, suffix) pair,
 * so findings built on it can be interned (see `intern.ts`) and the report's path pool hashes each
 * distinct path once (V8 caches a string's hash) instead of once per workload. The result is always
 * `base + suffix`.
 */

// Distinct (base, suffix) pairs are few (3 pod-spec prefixes × container slots × field paths);
// the bound only matters for hostile input with thousands of containers.
const LIMIT = 50_000;
const joined = new Map<string, Map<string, string>>();
let entries = 0;

export function at(base: string, suffix: string): string {
  // Two map lookups and no closure: this runs for every path a rule reports (millions per scan).
  let inner = joined.get(base);
  if (inner !== undefined) {
    const hit = inner.get(suffix);
    if (hit !== undefined) return hit;
  }
  const s = base + suffix;
  if (entries < LIMIT) {
    if (inner === undefined) joined.set(base, (inner = new Map()));
    inner.set(suffix, s);
    entries++;
  }
  return s;
}

/** `base[index]` (list element paths: `containers[2]`, `volumeMounts[0]`). */
export function indexed(base: string, index: number): string {
  return index < INDEX_SUFFIX.length ? at(base, INDEX_SUFFIX[index] as string) : `${base}[${index}]`;
}

const INDEX_SUFFIX: readonly string[] = Array.from({ length: 64 }, (_, i) => `[${i}]`);
