/**
 * Identity interning for the scan's hot path. Most findings, rule results and report entries of a
 * 10k-workload scan are equal to one seen before (the same fix path on the same container slot of
 * another Deployment): sharing one frozen instance instead of building a new one per workload
 * keeps the scan from being dominated by allocation and garbage collection.
 *
 * Keys are object identities (never contents), so a hit can only return what was built from the
 * very same immutable parts; sizes are bounded so hostile input cannot grow them without limit.
 */

interface Node<K, V> {
  value?: V;
  next?: Map<K, Node<K, V>>;
}

/** Values built from a sequence of immutable objects, interned by the identities of the sequence. */
export class SequenceInterner<K, V> {
  private readonly root: Node<K, V> = {};
  private nodes = 0;

  constructor(private readonly limit: number) {}

  /**
   * The value for this sequence: the one built earlier for the same elements (by identity, same
   * order), or `build()`'s, remembered while under the size limit.
   */
  intern(keys: readonly K[], build: () => V): V {
    return this.internFirst(keys, keys.length, build);
  }

  /**
   * `intern` of the first `n` keys: callers collect into a reused scratch array, and `build` gets
   * the keys and `n` (a module-level function then allocates nothing on a hit).
   */
  internFirst(keys: readonly K[], n: number, build: (keys: readonly K[], n: number) => V): V {
    let node = this.root;
    for (let j = 0; j < n; j++) {
      const k = keys[j] as K;
      let next = node.next?.get(k);
      if (!next) {
        if (this.nodes >= this.limit) return build(keys, n);
        next = {};
        (node.next ??= new Map()).set(k, next);
        this.nodes++;
      }
      node = next;
    }
    if (node.value === undefined) node.value = build(keys, n);
    return node.value;
  }

  get size(): number {
    return this.nodes;
  }
}

/** A bounded string-keyed memo (two levels: no composite key string per lookup). */
export class PairMemo<V> {
  private readonly map = new Map<string, Map<string, V>>();
  private entries = 0;

  constructor(private readonly limit: number) {}

  /** `build` gets the pair so that callers can pass a module-level function (no closure per call). */
  get(a: string, b: string, build: (a: string, b: string) => V): V {
    let inner = this.map.get(a);
    let v = inner?.get(b);
    if (v !== undefined) return v;
    v = build(a, b);
    if (this.entries < this.limit) {
      if (!inner) this.map.set(a, (inner = new Map()));
      inner.set(b, v);
      this.entries++;
    }
    return v;
  }
}
