/**
 * Safe accessors for untyped Kubernetes objects and Kubescape-compatible resource identifiers.
 * Objects come from the API or from user manifests, so no field can be trusted to have its
 * declared type: every accessor checks before it narrows.
 */
import type { KubeObject } from './types.js';

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function rec(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

const EMPTY: readonly unknown[] = Object.freeze([]);

export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : EMPTY;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Strings of a list, ignoring non-string entries (RBAC verbs, resources, capabilities...). */
export function strings(value: unknown): readonly string[] {
  // Mostly called on absent fields (capabilities.add of every container...): no array then.
  if (!Array.isArray(value) || value.length === 0) return NO_STRING_LIST;
  // Lists are almost always all strings: then the list itself (read-only to callers), no copy.
  let j = 0;
  while (j < value.length && typeof value[j] === 'string') j++;
  if (j === value.length) return value as string[];
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) if (typeof value[i] === 'string') out.push(value[i] as string);
  return out;
}

const NO_STRING_LIST: readonly string[] = Object.freeze([]);

const NO_STRINGS: Readonly<Record<string, string>> = Object.freeze({});
// Selectors and labels are read per pair (every Service against every pod of its namespace...):
// build each map once per source object (only for records with non-string values: others are
// returned as they are). Results are shared: read-only.
const stringMaps = new WeakMap<object, Readonly<Record<string, string>>>();

/** The string-valued entries of a record (labels, annotations, selectors); shared, read-only. */
export function stringMap(value: unknown): Readonly<Record<string, string>> {
  const r = rec(value);
  if (!r) return NO_STRINGS;
  // Labels and selectors are almost always all strings: then the record itself is the answer —
  // checking its few values costs less than the WeakMap lookup (~1 per workload and control).
  if (allStrings(r)) return r as Readonly<Record<string, string>>;
  let out = stringMaps.get(r);
  if (!out) {
    const m: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) if (typeof v === 'string') m[k] = v;
    out = Object.freeze(m);
    stringMaps.set(r, out);
  }
  return out;
}

function allStrings(r: JsonRecord): boolean {
  for (const k in r) if (typeof r[k] !== 'string') return false;
  return true;
}

/** Walk a dotted field path (`spec.template.spec`). */
export function get(value: unknown, ...keys: string[]): unknown {
  let cur = value;
  for (const k of keys) {
    const r = rec(cur);
    if (!r) return undefined;
    cur = r[k];
  }
  return cur;
}

export function isKubeObject(value: unknown): value is KubeObject {
  const r = rec(value);
  if (!r) return false;
  const md = rec(r.metadata);
  return (
    typeof r.apiVersion === 'string' && typeof r.kind === 'string' && !!md && typeof md.name === 'string'
  );
}

/** Split `apps/v1` into group `apps`, version `v1`; `v1` is the core group (empty). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/**
 * `<group>/<version>/<namespace>/<kind>/<name>`: empty group for the core group, empty namespace for
 * cluster-scoped objects (k8s-interface `GetID`), e.g. `apps/v1/default/Deployment/nginx`,
 * `/v1/default/Pod/nginx`, `rbac.authorization.k8s.io/v1//ClusterRole/admin`.
 */
export function resourceId(
  apiVersion: string,
  namespace: string | undefined,
  kind: string,
  name: string,
): string {
  const { group, version } = splitApiVersion(apiVersion);
  return `${group}/${version}/${namespace ?? ''}/${kind}/${name}`;
}

// Context objects (the ConfigMap, Service or ServiceAccount many workloads refer to) are named in
// many findings: build each ID once per object. Keyed weakly, so nothing outlives the objects.
const ids = new WeakMap<KubeObject, string>();

export function objectId(obj: KubeObject): string {
  let id = ids.get(obj);
  if (id === undefined) {
    id = resourceId(obj.apiVersion, obj.metadata.namespace, obj.kind, obj.metadata.name);
    ids.set(obj, id);
  }
  return id;
}

export function labelsOf(obj: unknown): Readonly<Record<string, string>> {
  return stringMap(get(obj, 'metadata', 'labels'));
}

export function annotationsOf(obj: unknown): Readonly<Record<string, string>> {
  return stringMap(get(obj, 'metadata', 'annotations'));
}

/** Kubernetes label-selector semantics (matchLabels AND matchExpressions); an empty selector selects everything. */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const sel = rec(selector);
  if (!sel) return true;
  const ml = stringMap(sel.matchLabels);
  for (const k in ml) if (labels[k] !== ml[k]) return false;
  for (const e of arr(sel.matchExpressions)) {
    const expr = rec(e);
    if (!expr) continue;
    const key = str(expr.key) ?? '';
    const values = strings(expr.values);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (expr.operator) {
      case 'In':
        if (!has || !values.includes(labels[key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key] ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A Service-style selector (plain map): non-empty and every pair present in the labels. */
export function mapSelectorMatches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  // Called per (Service, pod) pair: no entries array per call.
  let any = false;
  for (const k in selector) {
    if (labels[k] !== selector[k]) return false;
    any = true;
  }
  return any;
}
