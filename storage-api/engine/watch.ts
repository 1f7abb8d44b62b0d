/**
 * Watch: a chunked stream of `{"type":..,"object":..}` lines; a burst of events is one HTTP chunk
 * and one socket write.
 *
 * Start point (API concepts RV matrix): RV unset or "0" → synthetic ADDED for the current state,
 * then changes; RV=N → changes after N only (410 as an ERROR event when N is compacted away);
 * `sendInitialEvents=true` (WatchList) → initial ADDs, then a BOOKMARK annotated
 * `k8s.io/initial-events-end: "true"`. Bookmarks (when allowed) carry the last resourceVersion this
 * watcher has been sent, so resuming from one never skips an event.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../lib/log/index.js';
import type { FieldRequirement, Filter, Store, StoredEvent, StoredObject, WatchHandle } from '../store/types.js';
import { GoneError } from '../store/types.js';
import type { KubeObject, ResourceDefinition } from '../registry/types.js';
import { resourceKey } from '../registry/types.js';
import { drain, drainOrClose, writeString } from './http.js';
import { apiVersionOf, partialMeta, rowSource, servedMeta, storedJson, toKube, writeStoredJson } from './objects.js';
import { boolParam, includeObject, intParam, resourceVersionParam, selectors, type ResourceRequest } from './request.js';
import { fromStoreError, invalid, StatusError, type Status } from './status.js';
import type { IncludeObject, TableRenderer } from './table.js';
import { matches, storeCapabilities, virtualEvents, Virtuals, withSummary, type VirtualFilter } from './virtual.js';
import type { WatchStats } from './watchstats.js';

export interface WatchDeps {
  store: Store;
  tables: (def: ResourceDefinition) => TableRenderer;
  virtuals: Virtuals;
  log: Logger;
  bookmarkIntervalMs: number;
  summaryFallback: boolean;
  /** Default watch duration is random in [min, 2·min], as kube-apiserver spreads reconnects. */
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Live watches, so shutdown can end them. */
  active: Set<() => void>;
  stats: WatchStats;
}

const INITIAL_PAGE = 500;

/**
 * Watch lines shared by every watcher of an event. The store hands the same StoredObject to all
 * its watchers (metadata-only and full views are distinct objects), so the line for a given event
 * type and output form is serialised once and the same bytes go to every socket: with 1,000
 * watchers the fan-out costs a socket write per watcher, not a JSON.stringify per watcher.
 * Entries die with the StoredObject (WeakMap).
 */
const sharedLines = new WeakMap<StoredObject, Map<string, Buffer>>();
/** Objects above this are streamed per watcher in slices instead (no shared multi-MB copies). */
const MAX_SHARED_LINE = 1 << 20;
/** Keys of the JSON lines (the form of most watchers), not rebuilt per event and watcher. */
const JSON_LINE_KEYS: Record<'ADDED' | 'MODIFIED' | 'DELETED', string> = { ADDED: 'ADDED|json', MODIFIED: 'MODIFIED|json', DELETED: 'DELETED|json' };
/** Bursts up to this size are joined into one buffer (one HTTP chunk); larger ones are corked. */
const JOIN_BYTES = 64 * 1024;

function sharedLine(so: StoredObject, key: string, build: () => string | Buffer): Buffer {
  let m = sharedLines.get(so);
  if (!m) sharedLines.set(so, (m = new Map()));
  let b = m.get(key);
  if (!b) {
    const v = build();
    m.set(key, (b = typeof v === 'string' ? Buffer.from(v) : v));
  }
  return b;
}

interface SharedBurst {
  /** The lines joined: identity of each entry proves two bursts carry the same bytes. */
  lines: Buffer[];
  joined?: Buffer;
  framed?: Buffer;
}
const sharedBursts = new WeakMap<StoredObject, Map<string, SharedBurst[]>>();
/** Distinct bursts kept per (last object, form): e.g. selector-filtered watchers next to unfiltered ones. */
const BURST_VARIANTS = 4;
const CRLF = Buffer.from('\r\n');

/**
 * The joined bytes of a burst, shared between watchers whose bursts have the same lines (same
 * events, same event types after label translation, same output form), keyed on the burst's last
 * object. A cached entry is only reused when its lines are the very same Buffers, so a watcher
 * whose selector dropped or retyped an event of the burst never gets another watcher's bytes.
 * `framed`: as one HTTP/1.1 chunk (`<hex length>\r\n<data>\r\n`).
 */
function sharedBurst(last: StoredObject, form: string, lines: Buffer[], bytes: number, framed: boolean): Buffer {
  let m = sharedBursts.get(last);
  if (!m) sharedBursts.set(last, (m = new Map()));
  let list = m.get(form);
  if (!list) m.set(form, (list = []));
  let e = list.find((x) => sameLines(x.lines, lines));
  if (!e) {
    if (list.length >= BURST_VARIANTS) list.shift();
    list.push((e = { lines: lines.slice() }));
  }
  if (!framed) return (e.joined ??= lines.length === 1 ? lines[0]! : Buffer.concat(lines, bytes));
  if (!e.framed) {
    const head = Buffer.from(`${bytes.toString(16)}\r\n`, 'latin1');
    e.framed = Buffer.concat([head, ...lines, CRLF], head.length + bytes + 2);
  }
  return e.framed;
}

function sameLines(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The socket a watch response may write pre-framed chunks to directly: the response is chunked,
 * its headers are out and it owns its socket, so everything node's http layer wrote for it is
 * already queued on the socket, in order, ahead of our bytes; res.end() still writes the last
 * chunk. Otherwise (HTTP/1.0 client, response not yet attached to its socket) undefined, and the
 * burst goes through res.write.
 */
function directSocket(res: ResourceRequest['res']): Socket | undefined {
  const socket = res.socket;
  if (!socket || !res.chunkedEncoding || !res.headersSent || res.destroyed || res.writableEnded) return undefined;
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage === res ? socket : undefined;
}

function drainSocket(socket: Socket): Promise<void> {
  return drainOrClose(socket, socket.destroyed || !socket.writableNeedDrain);
}

/**
 * withSummary per shared StoredObject, once: its result is the object the shared lines hang on, so
 * a fresh copy per watcher would also mean a serialisation per watcher (stores without summaries).
 */
const summarized = new WeakMap<StoredObject, StoredObject>();
function sharedSummary(def: ResourceDefinition, so: StoredObject): StoredObject {
  let v = summarized.get(so);
  if (!v) summarized.set(so, (v = withSummary(def, so)));
  return v;
}

class EventWriter {
  private chain: Promise<void> = Promise.resolve();
  lastRv: string;
  private headerSent = false;
  constructor(
    private readonly r: ResourceRequest,
    private readonly table: TableRenderer | undefined,
    private readonly incl: IncludeObject,
    startRv: string,
    private readonly stats: WatchStats,
  ) {
    this.lastRv = startRv;
  }

  /** Queued writes not yet settled: the synchronous burst path may only write when none is. */
  private queued = 0;

  /** Serialize writes: bookmarks fire from a timer while events stream. */
  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.queued++;
    const settle = (): void => {
      this.queued--;
    };
    this.chain = this.chain.then(() => (this.r.res.destroyed ? undefined : fn())).finally(settle);
    return this.chain;
  }

  /**
   * The common burst synchronously: nothing queued before it, every event has its shared line,
   * the burst fits one pre-framed chunk and the socket takes it directly. Returns false (having
   * written nothing) when it cannot; the caller then uses batch(). Saves the promise chain and
   * its allocations per watcher per burst, which with 1,000 watchers is most of the fan-out's
   * JavaScript time next to the write syscalls.
   */
  batchNow(events: StoredEvent[], prepare: (so: StoredObject) => StoredObject): boolean {
    if (this.queued !== 0) return false;
    const socket = directSocket(this.r.res);
    if (!socket || socket.writableNeedDrain) return false;
    const bufs: Buffer[] = [];
    let bytes = 0;
    let last: StoredObject | undefined;
    for (const ev of events) {
      last = prepare(ev.object);
      const line = this.sharedBytes(ev.type, last);
      if (!line) return false;
      bufs.push(line);
      bytes += line.length;
      if (bytes > JOIN_BYTES) return false;
    }
    if (!last) return true;
    socket.write(sharedBurst(last, this.form, bufs, bytes, true));
    this.lastRv = last.resourceVersion;
    this.stats.write(bytes, bufs.length);
    this.recordLatency(events);
    return true;
  }

  private line(type: string, objectJson: string): Promise<void> {
    const res = this.r.res;
    return res.write(`{"type":"${type}","object":${objectJson}}\n`) ? Promise.resolve() : drain(res);
  }

  private tableJson(src: Parameters<TableRenderer['row']>[0], full: () => KubeObject, rv: string, mark = true): string {
    const t = this.table!;
    const v = this.r.out.kind === 'table' ? this.r.out.version : 'v1';
    // Column definitions go with the first event only, as kube-apiserver does for watch tables.
    const cols = this.headerSent ? [] : t.columns;
    if (mark) this.headerSent = true;
    return JSON.stringify({
      kind: 'Table',
      apiVersion: `meta.k8s.io/${v}`,
      metadata: { resourceVersion: rv },
      columnDefinitions: cols,
      rows: [t.row(src, this.incl, v, full)],
    });
  }

  stored(type: 'ADDED' | 'MODIFIED' | 'DELETED', so: StoredObject): Promise<void> {
    return this.enqueue(() => this.storedNow(type, so));
  }

  /** Write one event unshared (inside the write chain). */
  private async storedNow(type: 'ADDED' | 'MODIFIED' | 'DELETED', so: StoredObject): Promise<void> {
    const { def, out, res } = this.r;
    this.lastRv = so.resourceVersion;
    switch (out.kind) {
      case 'pom':
      case 'pomlist':
        return this.line(type, JSON.stringify(partialMeta(servedMeta(so), out.version)));
      case 'table': {
        const src = rowSource(def, so);
        const full = so.body !== undefined ? toKube(def, so) : undefined;
        return this.line(type, this.tableJson(full ? { ...src, object: full } : src, () => full ?? toKube(def, so), so.resourceVersion));
      }
      default:
        await writeString(res, `{"type":"${type}","object":`);
        await writeStoredJson(res, def, so);
        await writeString(res, '}\n');
    }
  }

  /**
   * A burst of live events: their shared lines in one socket write (large objects streamed), one
   * promise per burst. Latency is recorded when the bytes are handed to the socket.
   */
  batch(events: StoredEvent[], prepare: (so: StoredObject) => StoredObject): Promise<void> {
    return this.enqueue(async () => {
      const { res } = this.r;
      let bufs: Buffer[] = [];
      let bytes = 0;
      let pending: StoredEvent[] = [];
      const flush = async (): Promise<void> => {
        if (bufs.length === 0) return;
        const last = pending[pending.length - 1]!.object;
        let ok: boolean;
        const socket = directSocket(res);
        if (bytes <= JOIN_BYTES && socket) {
          // One pre-framed HTTP chunk straight to the socket: one write syscall per burst and no
          // per-write framing work in node's http layer; the bytes are shared between watchers.
          ok = socket.write(sharedBurst(last, this.form, bufs, bytes, true));
        } else if (socket) {
          // A large burst (a watcher that fell behind): still one chunk and one writev of the
          // shared lines, no joined copy; per-line res.write framing would make a slow watcher
          // slower to serve, i.e. make its next burst larger still.
          socket.cork();
          socket.write(`${bytes.toString(16)}\r\n`, 'latin1');
          for (const b of bufs) socket.write(b);
          ok = socket.write(CRLF);
          socket.uncork();
        } else if (bufs.length === 1) ok = res.write(bufs[0]!);
        else if (bytes <= JOIN_BYTES) ok = res.write(sharedBurst(last, this.form, bufs, bytes, false));
        else {
          res.cork();
          ok = true;
          for (const b of bufs) ok = res.write(b) && ok;
          res.uncork();
        }
        this.stats.write(bytes, bufs.length);
        this.recordLatency(pending);
        bufs = [];
        pending = [];
        bytes = 0;
        if (!ok) await (socket ? drainSocket(socket) : drain(res));
      };
      for (const ev of events) {
        if (res.destroyed) return;
        const so = prepare(ev.object);
        const line = this.sharedBytes(ev.type, so);
        this.lastRv = so.resourceVersion;
        if (line) {
          bufs.push(line);
          bytes += line.length;
          pending.push(ev);
          continue;
        }
        await flush();
        await this.storedNow(ev.type, so);
        this.stats.write(0, 1);
        if (ev.observedAt !== undefined) this.stats.latency(performance.now() - ev.observedAt);
      }
      await flush();
    });
  }

  /** Burst cache key: watchers with the same key and the same lines get the same bytes. */
  private get form(): string {
    const out = this.r.out;
    return (this.formKey ??= `burst|${out.kind === 'json' || out.kind === 'yaml' ? 'json' : `${out.kind}|${out.version}|${this.incl}`}`);
  }
  private formKey: string | undefined;

  /** The events of one poll share observedAt: one histogram update per run of equal times. */
  private recordLatency(events: StoredEvent[]): void {
    const t = performance.now();
    let at: number | undefined;
    let n = 0;
    for (const ev of events) {
      if (ev.observedAt === at) {
        n++;
        continue;
      }
      if (at !== undefined) this.stats.latency(t - at, n);
      at = ev.observedAt;
      n = 1;
    }
    if (at !== undefined) this.stats.latency(t - at, n);
  }

  /** The shared line of this event in this watcher's output form; undefined when it cannot be shared. */
  private sharedBytes(type: string, so: StoredObject): Buffer | undefined {
    const { def, out } = this.r;
    switch (out.kind) {
      case 'pom':
      case 'pomlist':
        return sharedLine(so, `${type}|pom|${out.version}`, () => `{"type":"${type}","object":${JSON.stringify(partialMeta(servedMeta(so), out.version))}}\n`);
      case 'table': {
        // The first table event carries the column definitions: this watcher's own.
        if (!this.headerSent || (so.body?.length ?? 0) > MAX_SHARED_LINE) return undefined;
        const src = rowSource(def, so);
        return sharedLine(so, `${type}|table|${out.version}|${this.incl}`, () => {
          const full = so.body !== undefined ? toKube(def, so) : undefined;
          return `{"type":"${type}","object":${this.tableJson(full ? { ...src, object: full } : src, () => full ?? toKube(def, so), so.resourceVersion, false)}}\n`;
        });
      }
      default:
        if ((so.body?.length ?? 0) > MAX_SHARED_LINE) return undefined;
        return sharedLine(so, JSON_LINE_KEYS[type as 'ADDED'] ?? `${type}|json`, () => `{"type":"${type}","object":${storedJson(def, so)}}\n`);
    }
  }

  object(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): Promise<void> {
    return this.enqueue(() => {
      const { def, out } = this.r;
      const rv = String(obj.metadata.resourceVersion ?? this.lastRv);
      this.lastRv = rv;
      switch (out.kind) {
        case 'pom':
        case 'pomlist':
          return this.line(type, JSON.stringify(partialMeta(obj.metadata, out.version)));
        case 'table':
          return this.line(
            type,
            this.tableJson({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata as StoredObject['metadata'], object: obj }, () => obj, rv),
          );
        default:
          return this.line(type, JSON.stringify({ ...obj, apiVersion: apiVersionOf(def), kind: def.kind }));
      }
    });
  }

  bookmark(initialEnd = false): Promise<void> {
    return this.enqueue(() => {
      const { def, out } = this.r;
      const metadata: Record<string, unknown> = { resourceVersion: this.lastRv };
      if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
      let obj: unknown;
      if (out.kind === 'pom' || out.kind === 'pomlist') obj = partialMeta(metadata, out.version);
      else if (out.kind === 'table')
        obj = { kind: 'Table', apiVersion: `meta.k8s.io/${out.version}`, metadata, columnDefinitions: [], rows: [] };
      else obj = { kind: def.kind, apiVersion: apiVersionOf(def), metadata };
      return this.line('BOOKMARK', JSON.stringify(obj));
    });
  }

  error(status: Status): Promise<void> {
    return this.enqueue(() => this.line('ERROR', JSON.stringify(status)));
  }

  flush(): Promise<void> {
    return this.chain;
  }
}

export class Watcher {
  constructor(private readonly d: WatchDeps) {}

  async watch(r: ResourceRequest): Promise<void> {
    const { def, query: q, res, req } = r;
    const rv = resourceVersionParam(q);
    const sel = selectors(q);
    // The deprecated /plural/<name>?watch form is a single-object watch, like fieldSelector=metadata.name.
    if (r.name) sel.fields = [...(sel.fields ?? []), { field: 'metadata.name', op: 'eq', value: r.name } as FieldRequirement];
    const bookmarks = boolParam(q, 'allowWatchBookmarks');
    const sieRaw = q.get('sendInitialEvents');
    const sendInitial = sieRaw === null || sieRaw === '' ? undefined : sieRaw === 'true' || sieRaw === '1';
    const match = q.get('resourceVersionMatch') || undefined;
    const lo = { group: 'meta.k8s.io', kind: 'ListOptions' };
    if (sendInitial !== undefined) {
      if (match !== 'NotOlderThan')
        throw invalid(lo, '', [{ reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" }]);
      if (sendInitial && !bookmarks)
        throw invalid(lo, '', [{ reason: 'FieldValueForbidden', field: 'allowWatchBookmarks', message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true' }]);
    } else if (match !== undefined)
      throw invalid(lo, '', [{ reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' }]);
    if (q.get('continue')) throw new StatusError(400, 'BadRequest', 'continue is not allowed with watch', {});
    const timeoutS = intParam(q, 'timeoutSeconds');
    const durationMs = Math.min(
      timeoutS !== undefined && timeoutS > 0 ? timeoutS * 1000 : this.d.minTimeoutMs * (1 + Math.random()),
      this.d.maxTimeoutMs,
    );
    const table = r.out.kind === 'table' ? this.d.tables(def) : undefined;
    const incl = table ? includeObject(q) : 'None';
    // Table cells come from stored summaries; if the store is known (or not yet known) to drop
    // them, events must carry bodies so the summary can be computed here.
    const summaryFromBody = this.d.summaryFallback && table !== undefined && def.summarize !== undefined && storeCapabilities.summaries !== true;
    const withBody =
      r.out.kind === 'json' || r.out.kind === 'yaml' || (table !== undefined && (table.needsBody || incl === 'Object')) || summaryFromBody;
    // Initial events: RV unset/"0" without sendInitialEvents, or sendInitialEvents=true.
    const initial = sendInitial ?? (rv === undefined || rv === '0');
    const filter = {
      resource: resourceKey(def),
      ...(def.namespaced && r.namespace !== undefined ? { namespace: r.namespace } : {}),
      ...sel,
    };

    const contentType =
      r.out.kind === 'table'
        ? `application/json;as=Table;v=${r.out.version};g=meta.k8s.io`
        : r.out.kind === 'pom' || r.out.kind === 'pomlist'
          ? `application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=${r.out.version}`
          : 'application/json';

    let handle: WatchHandle | undefined;
    let closed = false;
    const stop = (): void => {
      closed = true;
      handle?.close();
    };
    this.d.active.add(stop);
    const timer = setTimeout(stop, durationMs);
    req.on('close', stop);
    res.on('close', stop);
    let bookmarkTimer: NodeJS.Timeout | undefined;
    const w = new EventWriter(r, table, incl, rv ?? '0', this.d.stats);
    try {
      // Headers first and flushed: clients (and kubectl -w) wait for them before reading events.
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.flushHeaders();
      const virtualDef = def.virtual ? def : undefined;
      let since: string;
      const vf: VirtualFilter = { ...(def.namespaced && r.namespace !== undefined ? { namespace: r.namespace } : {}), ...sel };
      const visible = new Map<string, KubeObject>();
      let vindex: Awaited<ReturnType<Virtuals['snapshot']>>['index'] | undefined;
      let sourceBodies = false;
      if (virtualDef) {
        // Virtual kinds: index the sources at the start point, then translate source events.
        const snap = await this.d.virtuals.snapshot(def, initial ? undefined : rv);
        vindex = snap.index;
        sourceBodies = snap.withBody;
        since = snap.resourceVersion;
        w.lastRv = since;
        for (const key of vindex.keys()) {
          const obj = vindex.compute(key);
          if (!obj || !matches(obj, vf)) continue;
          visible.set(key, obj);
          if (initial) await w.object('ADDED', obj);
        }
      } else if (initial) {
        since = await this.initialList(w, filter, withBody, (so) => (summaryFromBody && incl !== 'Object' ? withSummary(def, so) : so));
      } else since = rv!;
      w.lastRv = since;
      if (sendInitial) await w.bookmark(true);
      if (closed) return;
      handle = this.d.store.watch({
        ...(virtualDef ? { resource: def.virtual!.from } : filter),
        sinceResourceVersion: since,
        withBody: virtualDef ? sourceBodies : withBody,
      });
      if (closed) handle.close();
      if (bookmarks && this.d.bookmarkIntervalMs > 0)
        bookmarkTimer = setInterval(() => void w.bookmark().catch(() => undefined), this.d.bookmarkIntervalMs);
      const prepare = (so: StoredObject): StoredObject => (summaryFromBody && incl !== 'Object' ? sharedSummary(def, so) : so);
      if (!vindex && handle.nextBatch) {
        // Hot path: every event buffered since the last write goes out in one socket write.
        for (;;) {
          const events = await handle.nextBatch();
          if (!events || closed) break;
          if (!w.batchNow(events, prepare)) await w.batch(events, prepare);
          // A full socket buffer: wait for the client before taking the next burst (as batch() does).
          else if (res.socket?.writableNeedDrain) await drainSocket(res.socket);
        }
      } else
        for await (const ev of handle as AsyncIterable<StoredEvent>) {
          if (closed) break;
          if (vindex) for (const ve of virtualEvents(vindex, ev, vf, visible)) await w.object(ve.type, ve.object);
          else await w.stored(ev.type, prepare(ev.object));
        }
    } catch (e) {
      if (e instanceof GoneError || (e instanceof StatusError && e.code === 410)) {
        const compacted = await this.d.store.compactedResourceVersion().catch(() => '?');
        await w.error(
          new StatusError(410, 'Expired', `too old resource version: ${rv ?? w.lastRv} (${compacted})`, {}).toStatus(),
        );
      } else {
        const mapped = fromStoreError(e, def, r.name ?? '');
        if (mapped instanceof StatusError) await w.error(mapped.toStatus());
        else {
          this.d.log.error({ err: e, resource: def.plural }, 'watch failed');
          await w.error(new StatusError(500, 'InternalError', 'Internal error occurred: watch failed (see server log)', {}).toStatus());
        }
      }
    } finally {
      clearTimeout(timer);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      req.off('close', stop);
      this.d.active.delete(stop);
      handle?.close();
      await w.flush().catch(() => undefined);
      if (!res.writableEnded) res.end();
    }
  }

  /** Synthetic ADDED for the current state, page by page at one snapshot; returns the snapshot RV. */
  private async initialList(w: EventWriter, filter: Filter, withBody: boolean, prepare: (so: StoredObject) => StoredObject): Promise<string> {
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.d.store.list({ ...filter, limit: INITIAL_PAGE, withBody, ...(cont ? { continue: cont } : {}) });
      rv ??= page.resourceVersion;
      for (const so of page.items) await w.stored('ADDED', prepare(so));
      cont = page.continue;
    } while (cont);
    return rv!;
  }
}
