/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the **sandbox built-in
 * kinds only**.
 *
 * Why it exists: for kinds compiled into kubectl (Pod, Deployment ...), `kubectl apply`
 * (client-side), `kubectl label/annotate/edit/scale` always send strategic merge patches, whatever
 * OpenAPI says (kubectl falls back to its built-in scheme). A sandbox that refuses them breaks the
 * everyday kubectl workflow in dev mode. The result kinds never need it: kubectl does not know them
 * and sends JSON merge patches (OpenAPI does not advertise SMP for any kind).
 *
 * Semantics (apimachinery `strategicpatch`), schema-less: without Go struct tags, list merge keys
 * come from a table of the well-known `patchMergeKey` fields of the core API (containers by
 * `name`, volumeMounts by `mountPath` ...). Lists not in the table are replaced, as for
 * fields without a patch strategy. Directives: `$patch: replace|delete|merge` (maps and list
 * items), `$retainKeys`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`.
 */
import { PatchError } from './json.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const PATCH = '$patch';
const RETAIN = '$retainKeys';
const ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/**
 * List fields with `patchStrategy:"merge"` in k8s.io/api and their merge keys. `ports` merges by
 * `containerPort` in containers and by `port` in Services: resolved per list from the items.
 * Primitive lists with strategy merge (finalizers) are unions.
 */
const MERGE_KEYS: Record<string, string | ((items: Json[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  ports: (items) => (items.some((i) => 'containerPort' in i) ? 'containerPort' : 'port'),
  conditions: 'type',
  ownerReferences: 'uid',
  webhooks: 'name',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  addresses: 'type',
};
const PRIMITIVE_MERGE = new Set(['finalizers']);

function strip(v: unknown): unknown {
  // A value being added: directives inside it have nothing to act on, remove them.
  if (Array.isArray(v))
    return v
      .filter((i) => !(isObject(i) && i[PATCH] === 'delete'))
      .map((i) => (isObject(i) && i[PATCH] === 'replace' ? stripMap(i) : strip(i)));
  return isObject(v) ? stripMap(v) : v;
}

function stripMap(m: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === PATCH || k === RETAIN || k.startsWith(ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    if (v === null) continue;
    setOwn(out, k, strip(v));
  }
  return out;
}

function setOwn(o: Json, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  const k = MERGE_KEYS[field];
  return typeof k === 'function' ? k(items) : k;
}

/** Merge `patch` into `original` (a copy is returned; `undefined` means "delete this map"). */
function mergeMap(original: Json, patch: Json): Json | undefined {
  const directive = patch[PATCH];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripMap(patch);
  if (directive !== undefined && directive !== 'merge')
    throw new PatchError(422, `unknown $patch directive ${JSON.stringify(directive)}`);

  const out: Json = { ...original };
  for (const [k, v] of Object.entries(patch)) {
    if (k === PATCH || k === RETAIN || k.startsWith(ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(v)) throw new PatchError(422, `${k} must be a list`);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (isObject(v) && isObject(cur)) {
      const merged = mergeMap(cur, v);
      if (merged === undefined) delete out[k];
      else setOwn(out, k, merged);
    } else if (isObject(v)) {
      if (v[PATCH] === 'delete') delete out[k];
      else setOwn(out, k, stripMap(v));
    } else if (Array.isArray(v)) {
      setOwn(out, k, mergeList(k, Array.isArray(cur) ? cur : [], v));
    } else {
      setOwn(out, k, v);
    }
  }
  // `$setElementOrder/<list>`: the order of the merged list's items.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(ORDER) || !Array.isArray(order)) continue;
    const field = k.slice(ORDER.length);
    if (Array.isArray(out[field])) out[field] = reorder(field, out[field] as unknown[], order);
  }
  const retain = patch[RETAIN];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError(422, '$retainKeys must be a list');
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  // `[{"$patch": "replace"}, ...items]`: replace the whole list.
  if (patch.some((i) => isObject(i) && i[PATCH] === 'replace'))
    return patch.filter((i) => !(isObject(i) && i[PATCH] === 'replace')).map(strip);

  if (PRIMITIVE_MERGE.has(field)) {
    const out = [...original];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const objects = [...original, ...patch].filter(isObject);
  const key = objects.length === original.length + patch.length ? mergeKeyFor(field, objects) : undefined;
  // No merge strategy for this field (or not a list of objects): replace, like kube.
  if (!key) return patch.map(strip);

  const out: Json[] = original.map((o) => ({ ...(o as Json) }));
  for (const item of patch as Json[]) {
    const id = item[key];
    const at = out.findIndex((o) => o[key] !== undefined && o[key] === id);
    if (item[PATCH] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) {
      const merged = mergeMap(out[at]!, item);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else {
      out.push(stripMap(item));
    }
  }
  return out;
}

function reorder(field: string, list: unknown[], order: unknown[]): unknown[] {
  const objects = list.filter(isObject);
  const key = objects.length === list.length ? mergeKeyFor(field, objects) : undefined;
  const idOf = (v: unknown): unknown => (key && isObject(v) ? v[key] : v);
  const orderIds = order.map((o) => (key && isObject(o) ? o[key] : o));
  const ranked = list.map((v, i) => {
    const r = orderIds.indexOf(idOf(v));
    return { v, r: r < 0 ? orderIds.length + i : r };
  });
  return ranked.sort((a, b) => a.r - b.r).map((x) => x.v);
}

/**
 * Apply a strategic merge patch to a copy of `doc`. The patch must be a JSON object (400);
 * invalid directives are 422.
 */
export function applyStrategicMergePatch<T extends Json>(doc: T, patch: unknown): T {
  if (!isObject(patch)) throw new PatchError(400, 'strategic merge patch must be a JSON object');
  // mergeMap copies what it changes and never mutates its inputs: no upfront deep copy.
  const out = mergeMap(doc, patch);
  if (out === undefined) throw new PatchError(422, 'strategic merge patch cannot delete the whole object');
  return out as T;
}
