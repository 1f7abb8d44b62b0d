/**
 * Computed (virtual) kinds: ConfigurationScanSummary, VulnerabilitySummary (one object per
 * namespace) and SBOMSummary (1:1). They are built from the source kind's metadata and stored
 * summaries only, never from bodies, so listing them stays cheap however large the sources are.
 *
 * A virtual object's resourceVersion is the highest resourceVersion among its sources; a list's is
 * the source snapshot's. Watches keep an in-memory index of the sources (source → virtual key) and
 * re-emit the affected virtual object whenever one of its sources changes.
 */
import type { FieldRequirement, LabelRequirement, Store, StoredObject, StoredEvent } from '../store/types.js';
import type { KubeObject, ResourceDefinition, RowSource } from '../registry/types.js';
import { matchesFields, matchesLabels } from '../query/selectors.js';
import { rowSource, rvCompare, toKube } from './objects.js';

const PAGE = 1000;
/** Pages are small when bodies must be read (a source can be megabytes). */
const PAGE_WITH_BODY = 20;

interface Entry {
  row: RowSource;
  rv: string;
  vkey: string;
}

const k = (ns: string, name: string): string => `${ns}/${name}`;

/**
 * The source's stored summary; when the store returned none but a body, compute it here and drop
 * the body (a store that does not keep summaries costs body reads, never wrong numbers).
 */
export function withSummary(def: ResourceDefinition, so: StoredObject): StoredObject {
  if (so.summary !== undefined || !def.summarize || so.body === undefined) return so;
  const { body: _body, ...rest } = so;
  return { ...rest, summary: def.summarize(toKube(def, so)) };
}

/**
 * What the engine has learnt about the store: whether it returns the summaries it is given.
 * Undefined until an object of a summarized kind has been read.
 */
export const storeCapabilities: { summaries?: boolean } = {};

/** True when objects came back without the summaries their kind defines (store does not keep them). */
export function summariesMissing(def: ResourceDefinition, items: StoredObject[]): boolean {
  if (def.summarize === undefined || items.length === 0) return false;
  const missing = items.some((i) => i.summary === undefined);
  storeCapabilities.summaries = !missing;
  return missing;
}

/** Source objects indexed by their virtual key; recomputes one virtual object at a time. */
export class VirtualIndex {
  private readonly sources = new Map<string, Entry>();
  private readonly byKey = new Map<string, Set<string>>();

  constructor(
    private readonly def: ResourceDefinition,
    private readonly sourceDef: ResourceDefinition,
  ) {}

  private keyOf(so: StoredObject): string {
    const row = rowSource(this.sourceDef, so);
    const key = this.def.virtual!.keyOf({ ...row, namespace: so.namespace, name: so.name });
    return k(key.namespace, key.name);
  }

  /** Add, replace or remove a source; returns the virtual keys whose object may have changed. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', input: StoredObject): string[] {
    const so = withSummary(this.sourceDef, input);
    const sid = k(so.namespace, so.name);
    const touched: string[] = [];
    const prev = this.sources.get(sid);
    if (prev) {
      touched.push(prev.vkey);
      this.sources.delete(sid);
      const set = this.byKey.get(prev.vkey);
      set?.delete(sid);
      if (set && set.size === 0) this.byKey.delete(prev.vkey);
    }
    if (type !== 'DELETED') {
      const vkey = this.keyOf(so);
      this.sources.set(sid, { row: rowSource(this.sourceDef, so), rv: so.resourceVersion, vkey });
      let set = this.byKey.get(vkey);
      if (!set) this.byKey.set(vkey, (set = new Set()));
      set.add(sid);
      if (!touched.includes(vkey)) touched.push(vkey);
    }
    return touched;
  }

  /** The virtual object for a key, or undefined when no source maps to it any more. */
  compute(vkey: string): KubeObject | undefined {
    const ids = this.byKey.get(vkey);
    if (!ids || ids.size === 0) return undefined;
    const entries = [...ids].map((id) => this.sources.get(id)!).sort((a, b) => (a.row.metadata.name < b.row.metadata.name ? -1 : 1));
    const slash = vkey.indexOf('/');
    const key = { namespace: vkey.slice(0, slash), name: vkey.slice(slash + 1) };
    const obj = this.def.virtual!.compute(key, entries.map((e) => e.row));
    let rv = '0';
    for (const e of entries) if (rvCompare(e.rv, rv) > 0) rv = e.rv;
    obj.metadata = { ...obj.metadata, name: key.name, resourceVersion: rv };
    if (this.def.namespaced) obj.metadata.namespace = key.namespace;
    else delete obj.metadata.namespace;
    return obj;
  }

  keys(): string[] {
    return [...this.byKey.keys()].sort();
  }
}

export interface VirtualFilter {
  namespace?: string;
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
}

export function matches(obj: KubeObject, f: VirtualFilter): boolean {
  const ns = typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : '';
  if (f.namespace !== undefined && ns !== f.namespace) return false;
  if (f.labels && !matchesLabels(f.labels, obj.metadata.labels as Record<string, string> | undefined)) return false;
  if (f.fields && !matchesFields(f.fields, { name: obj.metadata.name, namespace: ns })) return false;
  return true;
}

export class Virtuals {
  constructor(
    private readonly store: Store,
    private readonly byResourceKey: Map<string, ResourceDefinition>,
    /** Compute missing source summaries from bodies (EngineConfig.summaryFallback). */
    private readonly summaryFallback = true,
  ) {}

  sourceOf(def: ResourceDefinition): ResourceDefinition {
    const src = this.byResourceKey.get(def.virtual!.from);
    if (!src) throw new Error(`virtual kind ${def.kind}: source resource ${def.virtual!.from} is not served`);
    return src;
  }

  /**
   * Every source (metadata + summary) at one snapshot, indexed. `withBody` tells the caller whether
   * summaries had to be computed from bodies (then its watch must ask for bodies too).
   */
  async snapshot(def: ResourceDefinition, atResourceVersion?: string): Promise<{ index: VirtualIndex; resourceVersion: string; withBody: boolean }> {
    const src = this.sourceOf(def);
    let withBody = false;
    for (;;) {
      const index = new VirtualIndex(def, src);
      let cont: string | undefined;
      let rv: string | undefined = atResourceVersion;
      let restart = false;
      do {
        const page = await this.store.list({
          resource: def.virtual!.from,
          limit: withBody ? PAGE_WITH_BODY : PAGE,
          withBody,
          ...(cont ? { continue: cont } : rv ? { atResourceVersion: rv } : {}),
        });
        rv ??= page.resourceVersion;
        if (!withBody && this.summaryFallback && summariesMissing(src, page.items)) {
          withBody = true;
          restart = true;
          break;
        }
        for (const so of page.items) index.apply('ADDED', so);
        cont = page.continue;
      } while (cont);
      if (restart) continue;
      return { index, resourceVersion: rv ?? (await this.store.currentResourceVersion()), withBody };
    }
  }

  async list(def: ResourceDefinition, f: VirtualFilter, atResourceVersion?: string): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const { index, resourceVersion } = await this.snapshot(def, atResourceVersion);
    const items: KubeObject[] = [];
    for (const key of index.keys()) {
      const obj = index.compute(key);
      if (obj && matches(obj, f)) items.push(obj);
    }
    return { items, resourceVersion };
  }

  async get(def: ResourceDefinition, namespace: string, name: string): Promise<KubeObject | undefined> {
    const { index } = await this.snapshot(def);
    return index.compute(k(def.namespaced ? namespace : '', name));
  }
}

export type VirtualEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

/**
 * Turn one source event into the virtual events it causes for one watcher. `visible` holds the
 * virtual objects this watcher has been told about (matching its filter), so a virtual object
 * appears as ADDED the first time, MODIFIED after, and DELETED (with its last state) when its last
 * source goes away or it stops matching.
 */
export function virtualEvents(index: VirtualIndex, ev: StoredEvent, f: VirtualFilter, visible: Map<string, KubeObject>): VirtualEvent[] {
  const out: VirtualEvent[] = [];
  for (const key of index.apply(ev.type, ev.object)) {
    const obj = index.compute(key);
    if (obj) obj.metadata.resourceVersion = ev.object.resourceVersion;
    const prev = visible.get(key);
    if (obj && matches(obj, f)) {
      out.push({ type: prev ? 'MODIFIED' : 'ADDED', object: obj });
      visible.set(key, obj);
    } else if (prev) {
      visible.delete(key);
      out.push({ type: 'DELETED', object: { ...prev, metadata: { ...prev.metadata, resourceVersion: ev.object.resourceVersion } } });
    }
  }
  return out;
}
