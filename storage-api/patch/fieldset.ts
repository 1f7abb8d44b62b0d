/**
 * Field sets for managedFields, with the semantics structured-merge-diff gives *deduced*
 * (schema-less) types — which is what every kind here is to the field manager:
 *
 * - objects are granular maps: each key is its own field (`f:<key>`);
 * - everything else is a leaf: scalars, `null`, and **lists, which are atomic** (the whole list is
 *   one field, owned by whoever set it last). Keyed lists (`k:{"name":...}`) would need per-kind
 *   merge keys; Kubernetes itself treats lists of schema-less objects as atomic too;
 * - an empty object contributes no field (like SMD: a map owns nothing by itself).
 *
 * A path is an array of object keys; a set is stored as a Map from an encoded path to the path.
 * FieldsV1 is the JSON trie kube stores (`{"f:spec":{"f:replicas":{}}}`).
 */

export type Path = readonly string[];
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FieldSet {
  private readonly m = new Map<string, Path>();

  constructor(paths: Iterable<Path> = []) {
    for (const p of paths) this.add(p);
  }
  static key(p: Path): string {
    return JSON.stringify(p);
  }
  add(p: Path): void {
    this.m.set(FieldSet.key(p), [...p]);
  }
  has(p: Path): boolean {
    return this.m.has(FieldSet.key(p));
  }
  delete(p: Path): void {
    this.m.delete(FieldSet.key(p));
  }
  get size(): number {
    return this.m.size;
  }
  paths(): Path[] {
    return [...this.m.values()];
  }
  union(o: FieldSet): FieldSet {
    return new FieldSet([...this.paths(), ...o.paths()]);
  }
  difference(o: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => !o.has(p)));
  }
  /** Paths of this set that equal, contain or lie inside a path of `o` (prefix-aware). */
  overlapping(o: FieldSet): FieldSet {
    const others = o.paths();
    return new FieldSet(this.paths().filter((p) => others.some((q) => isPrefix(p, q) || isPrefix(q, p))));
  }
  /** This set without anything overlapping `o` (prefix-aware). */
  without(o: FieldSet): FieldSet {
    return this.difference(this.overlapping(o));
  }
  equals(o: FieldSet): boolean {
    return this.size === o.size && this.paths().every((p) => o.has(p));
  }
}

export const isPrefix = (a: Path, b: Path): boolean => a.length <= b.length && a.every((k, i) => b[i] === k);

/** Leaf paths of a JSON value (the fields it sets). */
export function fieldsOf(value: unknown, prefix: Path = []): FieldSet {
  const out = new FieldSet();
  const walk = (v: unknown, p: Path): void => {
    if (isObject(v)) {
      for (const [k, child] of Object.entries(v)) walk(child, [...p, k]);
    } else if (p.length > 0) {
      out.add(p);
    }
  };
  walk(value, prefix);
  return out;
}

/** Value at a path; `found: false` when any step is missing or not an object. */
export function getPath(v: unknown, p: Path): { found: boolean; value?: unknown } {
  let cur: unknown = v;
  for (const k of p) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return { found: false };
    cur = cur[k];
  }
  return { found: true, value: cur };
}

/**
 * Remove the value at `p` (if present). Maps emptied by the removal are removed too, except at depth
 * <= `keepDepth` (1 keeps top-level fields like `spec` and `metadata`).
 */
export function removePath(root: Json, p: Path, keepDepth = 1): void {
  if (p.length === 0) return;
  const chain: Json[] = [root];
  for (const k of p.slice(0, -1)) {
    const next = chain[chain.length - 1]![k];
    if (!isObject(next)) return;
    chain.push(next);
  }
  const parent = chain[chain.length - 1]!;
  if (!Object.prototype.hasOwnProperty.call(parent, p[p.length - 1]!)) return;
  delete parent[p[p.length - 1]!];
  // Walk back up: a map emptied by the removal goes too (Go's omitempty would drop it anyway).
  for (let depth = chain.length - 1; depth > keepDepth; depth--) {
    if (Object.keys(chain[depth]!).length > 0) break;
    delete chain[depth - 1]![p[depth - 1]!];
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

/** Leaf-level comparison of two objects (SMD `Compare`). */
export function compare(
  before: unknown,
  after: unknown,
): { added: FieldSet; modified: FieldSet; removed: FieldSet } {
  const b = fieldsOf(before);
  const a = fieldsOf(after);
  const added = new FieldSet();
  const modified = new FieldSet();
  for (const p of a.paths()) {
    if (!b.has(p)) added.add(p);
    else if (!deepEqual(getPath(before, p).value, getPath(after, p).value)) modified.add(p);
  }
  const removed = b.difference(a);
  return { added, modified, removed };
}

// ---------------------------------------------------------------------------------------------
// FieldsV1 encoding

/** Encode a set as a FieldsV1 trie. Keys are sorted for stable output. */
export function toFieldsV1(set: FieldSet): Json {
  const root: Json = {};
  const paths = set.paths().sort((x, y) => (FieldSet.key(x) < FieldSet.key(y) ? -1 : 1));
  for (const p of paths) {
    let node = root;
    for (const k of p) {
      const key = `f:${k}`;
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as Json;
    }
  }
  // A path that is both a leaf and a prefix of another cannot happen for JSON values; if stored
  // sets say so anyway, the leaf is implied by its children and dropping it is harmless.
  return sortTrie(root);
}

function sortTrie(n: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(n).sort()) out[k] = isObject(n[k]) ? sortTrie(n[k] as Json) : n[k];
  return out;
}

/**
 * Decode a FieldsV1 trie. `f:` keys descend; `k:`/`v:`/`i:` (list items, from a server with
 * keyed or set lists) make their list an atomic leaf here; a `.` entry alone marks the node.
 */
export function fromFieldsV1(trie: unknown): FieldSet {
  const out = new FieldSet();
  const walk = (n: unknown, p: Path): void => {
    if (!isObject(n)) return;
    const keys = Object.keys(n);
    if (keys.length === 0 || (keys.length === 1 && keys[0] === '.')) {
      if (p.length) out.add(p);
      return;
    }
    let listItems = false;
    for (const k of keys) {
      if (k.startsWith('f:')) walk(n[k], [...p, k.slice(2)]);
      else if (k.startsWith('k:') || k.startsWith('v:') || k.startsWith('i:')) listItems = true;
    }
    if (listItems && p.length) out.add(p);
  };
  walk(trie, []);
  return out;
}

/** kube's conflict field notation: `.spec.replicas`, `.metadata.labels.app`. */
export const formatPath = (p: Path): string => p.map((k) => `.${k}`).join('');
