/**
 * Kubernetes resource quantities (k8s.io/apimachinery `resource.Quantity`) as numbers: memory in
 * bytes, CPU in millicores, which is how the regolibrary resource rules compare them against the
 * configured min/max inputs.
 */
const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

// Clusters repeat the same few quantity strings thousands of times ("100m", "128Mi"): memoize.
const memo = new Map<string, number | undefined>();
const MEMO_LIMIT = 10_000;

/** Parse a quantity to its base unit (`512Mi` → 536870912, `500m` → 0.5); undefined when invalid. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (memo.has(value)) return memo.get(value);
  const parsed = parseQuantityString(value);
  if (memo.size < MEMO_LIMIT) memo.set(value, parsed);
  return parsed;
}

function parseQuantityString(value: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/.exec(
    value.trim(),
  );
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? undefined : n * factor;
}

/** Memory in bytes. */
export function memoryBytes(value: unknown): number | undefined {
  return parseQuantity(value);
}

/** CPU in millicores (`1` → 1000, `250m` → 250). */
export function cpuMillis(value: unknown): number | undefined {
  const q = parseQuantity(value);
  return q === undefined ? undefined : Math.round(q * 1000 * 1e6) / 1e6;
}
