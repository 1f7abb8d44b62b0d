/**
 * Server-side apply and managedFields bookkeeping, following structured-merge-diff's Updater
 * (`Apply` / `Update`) for deduced types (see ./fieldset.ts for list atomicity):
 *
 * Apply (manager M, applied config A, live L):
 *  1. merged = L with A merged in (maps recursively; lists and scalars replaced; `null` deletes);
 *  2. M's Apply entry becomes exactly the fields of A;
 *  3. prune: fields M applied last time, no longer in A, and owned by no other manager are removed;
 *  4. conflicts: fields whose value changes (vs L) and that another manager owns. Without force
 *     → `{ conflicts }` (HTTP 409); with force → they are taken from the other managers.
 *
 * Update (PUT, PATCH of any other type, CREATE): the fields the write added or modified become the
 * writer's (operation `Update`) and are removed from every other manager; fields that no longer
 * exist are dropped from every manager.
 *
 * Managers are keyed by (manager, operation) like kube: `kubectl` Apply and `kubectl` Update are
 * distinct entries. Fields kube never tracks (apiVersion, kind, metadata.name/uid/resourceVersion
 * ...) are excluded.
 */
import { parse as parseYaml } from 'yaml';
import { KUBE_YAML_OPTIONS } from '../registry/manifests.js';
import type { KubeObject } from '../registry/types.js';
import {
  FieldSet,
  compare,
  deepEqual,
  fieldsOf,
  formatPath,
  fromFieldsV1,
  getPath,
  removePath,
  toFieldsV1,
  type Path,
} from './fieldset.js';
import { PatchError } from './json.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Json;
  subresource?: string;
}

/** kube's stripSet (fieldmanager/internal/stripmeta.go): never owned by anyone. */
const STRIPPED: Path[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
  // Server-managed deletion fields are not client intent either.
  ['metadata', 'deletionTimestamp'],
  ['metadata', 'deletionGracePeriodSeconds'],
];
const isStripped = (p: Path): boolean =>
  STRIPPED.some((s) => s.length <= p.length && s.every((k, i) => p[i] === k));

/** The fields an object (or applied configuration) sets, minus the untracked ones. */
export function managedFieldsOf(o: unknown): FieldSet {
  return new FieldSet(
    fieldsOf(o)
      .paths()
      .filter((p) => !isStripped(p)),
  );
}

interface Manager {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  set: FieldSet;
}

const managerKey = (manager: string, operation: string, subresource?: string): string =>
  JSON.stringify([manager, operation, subresource ?? '']);

function readManagers(o: KubeObject | undefined): Map<string, Manager> {
  const out = new Map<string, Manager>();
  const list = o?.metadata.managedFields;
  if (!Array.isArray(list)) return out;
  for (const raw of list) {
    if (!isObject(raw) || typeof raw.manager !== 'string') continue;
    const operation = raw.operation === 'Apply' ? 'Apply' : 'Update';
    const entry: Manager['entry'] = {
      manager: raw.manager,
      operation,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : o!.apiVersion,
      fieldsType: 'FieldsV1',
    };
    if (typeof raw.time === 'string') entry.time = raw.time;
    if (typeof raw.subresource === 'string' && raw.subresource) entry.subresource = raw.subresource;
    const key = managerKey(entry.manager, operation, entry.subresource);
    const set = fromFieldsV1(raw.fieldsV1);
    const prev = out.get(key);
    out.set(key, { entry, set: prev ? prev.set.union(set) : set });
  }
  return out;
}

function writeManagers(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const { entry, set } of managers.values()) {
    if (set.size === 0) continue; // kube drops managers that own nothing
    const e: ManagedFieldsEntry = {
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      ...(entry.time !== undefined ? { time: entry.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(set),
    };
    if (entry.subresource) e.subresource = entry.subresource;
    out.push(e);
  }
  return out;
}

function withManagedFields(o: KubeObject, entries: ManagedFieldsEntry[]): KubeObject {
  const metadata: KubeObject['metadata'] = { ...o.metadata };
  if (entries.length) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...o, metadata };
}

function withoutManagedFields(o: KubeObject): KubeObject {
  // Only delete a key that is there (a delete makes the copy a slow dictionary object).
  if (!('managedFields' in o.metadata)) return { ...o, metadata: { ...o.metadata } };
  const metadata: KubeObject['metadata'] = { ...o.metadata };
  delete metadata.managedFields;
  return { ...o, metadata };
}

/** Recursive merge of an applied configuration into a live object (maps merge, rest replaces, null deletes). */
function mergeApplied(live: unknown, applied: unknown): unknown {
  // No copy of arrays/scalars: the applied config is parsed per request and consumed here;
  // copying a 20 MB SBOM's package list would dominate the request.
  if (!isObject(applied)) return applied;
  const out: Json = isObject(live) ? { ...live } : {};
  for (const [k, v] of Object.entries(applied)) {
    if (v === null) delete out[k];
    else
      Object.defineProperty(out, k, {
        value: mergeApplied(out[k], v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

/**
 * Parse an `application/apply-patch+yaml` body (YAML or JSON) into an object; 400 otherwise.
 */
export function parseApplyPatch(body: string): KubeObject {
  let v: unknown;
  try {
    v = parseYaml(body, { ...KUBE_YAML_OPTIONS, maxAliasCount: 100 });
  } catch (e) {
    throw new PatchError(400, `error decoding YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObject(v)) throw new PatchError(400, 'apply patch must be a YAML or JSON object');
  return v as KubeObject;
}

export interface ApplyInput {
  /** The current object, undefined when apply creates it. */
  live?: KubeObject;
  /** The applied configuration (partial object with apiVersion, kind, metadata.name). */
  applied: KubeObject;
  /** `fieldManager` query parameter (required for apply). */
  manager: string;
  force: boolean;
  /** RFC 3339 time recorded on the manager's entry. */
  now: string;
}

export type ApplyResult = { object: KubeObject } | { conflicts: { manager: string; field: string }[] };

/**
 * Server-side apply. Inputs are not modified, but the result shares unchanged subtrees with
 * `live` and `applied` (no deep copies: objects can be tens of MB), and a no-op apply returns
 * `live` itself. Callers must not mutate the inputs afterwards.
 */
export function applyServerSideApply(input: ApplyInput): ApplyResult {
  const { live, applied, manager, force, now } = input;
  if (!manager) throw new PatchError(400, 'fieldManager is required for apply requests');
  if (!isObject(applied)) throw new PatchError(400, 'apply patch must be an object');
  if (
    typeof applied.apiVersion !== 'string' ||
    !applied.apiVersion ||
    typeof applied.kind !== 'string' ||
    !applied.kind
  )
    throw new PatchError(400, 'apiVersion and kind must be set in the applied configuration');
  if (!isObject(applied.metadata))
    throw new PatchError(400, 'metadata must be set in the applied configuration');
  if (applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null)
    throw new PatchError(400, 'metadata.managedFields must be nil');
  if (live && (live.kind !== applied.kind || live.apiVersion !== applied.apiVersion))
    throw new PatchError(
      400,
      `applied ${applied.apiVersion}/${applied.kind} does not match the object's ${live.apiVersion}/${live.kind}`,
    );
  if (live && typeof applied.metadata.name === 'string' && applied.metadata.name !== live.metadata.name)
    throw new PatchError(
      400,
      `the name of the applied object (${applied.metadata.name}) does not match the name in the URL (${live.metadata.name})`,
    );

  const managers = readManagers(live);
  const liveBody = live ? withoutManagedFields(live) : undefined;
  const key = managerKey(manager, 'Apply');
  const lastSet = managers.get(key)?.set ?? new FieldSet();
  // `null` in an applied config deletes the field (see mergeApplied): nobody owns a deleted field.
  const appliedSet = new FieldSet(
    managedFieldsOf(applied)
      .paths()
      .filter((p) => getPath(applied, p).value !== null),
  );

  const merged = mergeApplied(liveBody ?? {}, applied) as KubeObject;

  // Prune what this manager applied before and dropped now, unless someone else still owns it.
  const ownedByOthers = new FieldSet();
  for (const [k, m] of managers) if (k !== key) for (const p of m.set.paths()) ownedByOthers.add(p);
  const toRemove = lastSet.difference(appliedSet).without(ownedByOthers.union(appliedSet));
  if (toRemove.size) {
    // Copy-on-write along each removed path: `merged` shares untouched subtrees with `live`.
    for (const p of toRemove.paths()) {
      let cur: Json = merged;
      for (const k of p.slice(0, -1)) {
        const next = cur[k];
        if (!isObject(next)) break;
        cur = cur[k] = { ...next };
      }
      removePath(merged, p);
    }
  }

  // Conflicts: other managers owning a field whose value this apply changes or adds.
  const diff = compare(liveBody ?? {}, merged);
  const changed = diff.added.union(diff.modified);
  const conflicts: { manager: string; field: string }[] = [];
  const conflictSets = new Map<string, FieldSet>();
  for (const [k, m] of managers) {
    if (k === key) continue;
    const hit = m.set.overlapping(changed);
    if (hit.size) {
      conflictSets.set(k, hit);
      for (const p of hit.paths()) conflicts.push({ manager: m.entry.manager, field: formatPath(p) });
    }
  }
  if (conflicts.length && !force) {
    conflicts.sort((a, b) => (a.manager + a.field < b.manager + b.field ? -1 : 1));
    return { conflicts };
  }
  // Forced: ownership moves to the applier.
  for (const [k, hit] of conflictSets) {
    const m = managers.get(k)!;
    m.set = m.set.without(hit);
  }
  // Fields removed by the merge (null in the config, pruning) belong to no one any more.
  for (const m of managers.values()) m.set = m.set.without(diff.removed);

  const previous = managers.get(key);
  managers.set(key, {
    entry: { manager, operation: 'Apply', apiVersion: applied.apiVersion, time: now, fieldsType: 'FieldsV1' },
    set: appliedSet,
  });
  // A no-op apply (same object, same ownership) keeps the stored managedFields, timestamps
  // included, so the engine can see nothing changed and skip the write (kube ignores
  // timestamp-only managedFields changes the same way).
  if (live && previous && diff.added.size + diff.modified.size + diff.removed.size === 0) {
    const before = readManagers(live);
    const same =
      before.size === managers.size &&
      [...managers].every(
        ([k, m]) =>
          before.get(k)?.set.equals(m.set) && before.get(k)?.entry.apiVersion === m.entry.apiVersion,
      );
    if (same) return { object: live };
  }
  return { object: withManagedFields(merged, writeManagers(managers)) };
}

/**
 * The create case of recordUpdateManagedFields without field sets: nobody owned anything before,
 * so the writer owns every leaf of the new object (minus the stripped fields) and the FieldsV1
 * trie is built in one sorted walk. It is on the path of every create (a fifth of its CPU with
 * the general algorithm); patch.test.ts checks it gives exactly what the general path gives.
 */
function recordCreate(after: KubeObject, manager: string, operation: 'Update' | 'Apply', now: string): KubeObject {
  const a = withoutManagedFields(after);
  const fieldsV1 = trieOf(a, 0, false);
  const entries: ManagedFieldsEntry[] =
    fieldsV1 === undefined ? [] : [{ manager, operation, apiVersion: after.apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1 }];
  return withManagedFields(a, entries);
}

const STRIPPED_TOP = new Set(STRIPPED.filter((p) => p.length === 1).map((p) => p[0]!));
const STRIPPED_META = new Set(STRIPPED.filter((p) => p.length === 2 && p[0] === 'metadata').map((p) => p[1]!));

/** FieldsV1 trie of the leaves of `v` (sorted keys, as toFieldsV1 writes it); undefined when it sets nothing. */
function trieOf(v: Json, depth: number, inMetadata: boolean): Json | undefined {
  let out: Json | undefined;
  for (const k of Object.keys(v).sort()) {
    if (depth === 0 && STRIPPED_TOP.has(k)) continue;
    if (inMetadata && depth === 1 && STRIPPED_META.has(k)) continue;
    const child = v[k];
    const node = isObject(child) ? trieOf(child, depth + 1, depth === 0 && k === 'metadata') : {};
    if (node === undefined) continue;
    (out ??= {})[`f:${k}`] = node;
  }
  return out;
}

/**
 * Record a non-apply write (create, update, json/merge patch) in managedFields.
 *
 * `before` is the stored object (undefined on create), `after` the object about to be stored.
 * Client-sent managedFields follow kube's fieldmanager: `[{}]` (one empty entry) resets them
 * (then only this request's changes are recorded, for this writer); a non-empty list that differs from the stored one becomes
 * the baseline (that is how clients edit ownership); an empty or absent list means "keep the
 * stored ones", so clients unaware of managedFields never wipe them by accident.
 * Returns `after` with metadata.managedFields updated.
 */
export function recordUpdateManagedFields(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  operation: 'Update' | 'Apply',
  now: string,
): KubeObject {
  const clientSent = after.metadata.managedFields;
  if (before === undefined && (!Array.isArray(clientSent) || clientSent.length === 0)) return recordCreate(after, manager, operation, now);
  const reset =
    Array.isArray(clientSent) &&
    clientSent.length === 1 &&
    isObject(clientSent[0]) &&
    Object.keys(clientSent[0]).length === 0;
  const useClient =
    !reset &&
    Array.isArray(clientSent) &&
    clientSent.length > 0 &&
    !deepEqual(clientSent, before?.metadata.managedFields);
  // After a reset the writer still takes ownership of what this same request changed (kube docs).
  const managers = reset ? new Map<string, Manager>() : readManagers(useClient ? after : before);

  const b = before ? withoutManagedFields(before) : {};
  const a = withoutManagedFields(after);
  const diff = compare(b, a);
  const changed = new FieldSet(
    [...diff.added.paths(), ...diff.modified.paths()].filter((p) => !isStripped(p)),
  );
  const key = managerKey(manager, operation);

  for (const [k, m] of managers) {
    if (k !== key) m.set = m.set.without(changed);
    m.set = m.set.without(diff.removed);
  }
  const mine = managers.get(key);
  const set = (mine?.set ?? new FieldSet()).union(changed);
  // Nothing owned and nothing changed: kube writes no entry.
  if (set.size > 0) {
    const keepTime = mine && changed.size === 0 && mine.entry.time !== undefined;
    managers.set(key, {
      entry: {
        manager,
        operation,
        apiVersion: after.apiVersion,
        time: keepTime ? mine.entry.time! : now,
        fieldsType: 'FieldsV1',
      },
      set,
    });
  }
  // Fields that do not exist in the new object cannot be owned.
  const present = managedFieldsOf(a);
  for (const m of managers.values())
    m.set = new FieldSet(m.set.paths().filter((p) => present.has(p) || getPath(a, p).found));
  return withManagedFields(a, writeManagers(managers));
}
