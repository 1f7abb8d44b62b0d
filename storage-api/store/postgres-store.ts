/**
 * The Store (storage-api/store/types.ts) on PostgreSQL and PGlite. See README.md for the design;
 * in short:
 *
 * - writes go through the `storage_write` SQL function, which serialises writers on the `rv`
 *   counter row so resourceVersions commit in order with no gaps; concurrent requests of this
 *   process are grouped into one call (group commit) so serialisation does not cost throughput;
 * - lists are keyset-paged on (namespace, name); pages after the first are served as of the first
 *   page's RV from the objects table plus the event log;
 * - watches are served by one poller per Store (watch.ts).
 */
import { isUnavailable, migrate, migrationsFolderNextTo, type Database } from '../../lib/db/index.js';
import { logger, type Logger } from '../../lib/log/index.js';
import { loadStoreConfig, type StoreConfig } from './config.js';
import { fieldSql, labelSql, Params } from './filter.js';
import { decodeContinue, encodeContinue } from './token.js';
import {
  AlreadyExistsError,
  BadContinueError,
  ConflictError,
  GoneError,
  NotFoundError,
  StoreError,
  UnavailableError,
  type CreateInput,
  type DeletePreconditions,
  type ListOptions,
  type ListResult,
  type ObjectKey,
  type ObjectMeta,
  type Store,
  type StoredObject,
  type UpdateInput,
  type WatchHandle,
  type WatchOptions,
  type WriteOptions,
} from './types.js';
import { WatchHub } from './watch.js';

/** atResourceVersion is newer than anything committed (kube: "Too large resource version", 504). */
export class TooLargeResourceVersionError extends UnavailableError {
  override name = 'TooLargeResourceVersionError';
}

export interface PostgresStoreOptions {
  /** Overrides of the environment configuration (config.ts). */
  config?: Partial<StoreConfig>;
  /** Apply migrations on start (default true; safe with concurrent starters). */
  migrate?: boolean;
  /** Run compaction on a jittered timer (default true). */
  autoCompact?: boolean;
  log?: Logger;
}

/** Where the committed migrations are, from source (tsx/vitest) or from dist/. */
export function storeMigrationsFolder(): string {
  return migrationsFolderNextTo(import.meta.url);
}

export const STORE_MIGRATIONS_TABLE = 'storage_migrations';

export async function createPostgresStore(db: Database, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const cfg: StoreConfig = { ...loadStoreConfig(), ...opts.config };
  if (opts.migrate !== false) await migrate(db, { folder: storeMigrationsFolder(), table: STORE_MIGRATIONS_TABLE });
  const store = new PostgresStore(db, cfg, opts.log ?? logger('storage.store', { driver: db.kind }));
  await store.start(opts.autoCompact !== false);
  return store;
}

type Op = 'create' | 'update' | 'delete';

interface PendingWrite {
  op: Op;
  resource: string;
  namespace: string;
  name: string;
  uid: string | null;
  metadata: string | null;
  labels: string | null;
  body: string | null;
  summary: string | null;
  expectedRv: string | null;
  expectedUid: string | null;
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

interface WriteResult {
  status: 'ok' | 'exists' | 'notfound' | 'conflict';
  rv: string | null;
  uid: string | null;
  metadata: Record<string, unknown> | null;
  body: string | null;
  summary: Record<string, unknown> | null;
}

interface ObjectRow {
  namespace: string;
  name: string;
  uid: string;
  rv: string;
  metadata?: Record<string, unknown>;
  summary?: Record<string, unknown> | null;
  body?: string;
  /** ListOptions.metadataJson: the served metadata text, and the labels and creation timestamp if asked for, instead of `metadata`. */
  metadata_json?: string;
  labels?: Record<string, string> | null;
  created?: string | null;
}

/**
 * The metadata columns of a list query: the parsed metadata, or (ListOptions.metadataJson) its
 * jsonb text — the same jsonb output the driver would otherwise parse — with the labels and the
 * creation timestamp Table cells read (servedMetadataJson makes the text the served metadata).
 */
function metadataCols(opts: ListOptions, alias: string): string {
  const fields = metadataJsonFields(opts);
  if (!fields) return `${alias}.metadata`;
  const labels = fields.labels ? `, ${alias}.labels` : '';
  const created = fields.creationTimestamp ? `, ${alias}.metadata->>'creationTimestamp' AS created` : '';
  return `${alias}.metadata::text AS metadata_json${labels}${created}`;
}

/** The parsed fields a metadataJson listing asks for (`true`: both); undefined without metadataJson. */
function metadataJsonFields(opts: ListOptions): { labels: boolean; creationTimestamp: boolean } | undefined {
  const mj = opts.metadataJson;
  return mj === true ? { labels: true, creationTimestamp: true } : mj || undefined;
}

/**
 * The served metadata (as servedMeta: resourceVersion set, no namespace on cluster-scoped objects)
 * from the stored metadata's jsonb text. The store never stores a resourceVersion (encodeMeta), so
 * it is spliced in as the first key; only a text that mentions one, or a cluster-scoped object's
 * text that mentions a namespace (a label could), takes the parse and re-serialise path.
 */
export function servedMetadataJson(text: string, rv: string, namespace: string): string {
  if (text.includes('"resourceVersion"') || (namespace === '' && text.includes('"namespace"'))) {
    const m = JSON.parse(text) as Record<string, unknown>;
    if (namespace === '') delete m.namespace;
    m.resourceVersion = rv;
    return JSON.stringify(m);
  }
  const head = `{"resourceVersion": ${JSON.stringify(rv)}`;
  return text.length > 2 ? `${head}, ${text.slice(1)}` : `${head}}`;
}

const DECIMAL_RV = /^(0|[1-9][0-9]{0,17})$/;

/** The summary column of a list query, unless the caller has no use for it (one jsonb parse less per row). */
const summaryCol =
  (opts: ListOptions) =>
  (alias: string): string =>
    opts.withSummary === false ? '' : `, ${alias}.summary`;

function toStored(resource: string, r: ObjectRow): StoredObject {
  let metadata: ObjectMeta;
  if (r.metadata_json !== undefined) {
    metadata = { name: r.name, uid: r.uid, resourceVersion: r.rv };
    if (r.namespace) metadata.namespace = r.namespace;
    if (r.created) metadata.creationTimestamp = r.created;
    if (r.labels && Object.keys(r.labels).length > 0) metadata.labels = r.labels;
  } else {
    metadata = r.metadata as ObjectMeta;
    metadata.resourceVersion = r.rv;
  }
  const o: StoredObject = { resource, namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion: r.rv, metadata };
  if (r.metadata_json !== undefined) o.metadataJson = servedMetadataJson(r.metadata_json, r.rv, r.namespace);
  if (r.summary !== undefined && r.summary !== null) o.summary = r.summary;
  if (r.body !== undefined && r.body !== null) o.body = r.body;
  return o;
}

function describeKey(k: ObjectKey): string {
  return `${k.resource} ${k.namespace ? `${k.namespace}/` : ''}${k.name}`;
}

function mapErr(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  if (isUnavailable(e)) return new UnavailableError(`storage database unavailable: ${(e as Error).message}`, { cause: e });
  return e;
}

export class PostgresStore implements Store {
  private readonly hub: WatchHub;
  private readonly queue: PendingWrite[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private compactTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Linger state (see pump): wait for this many queued writes until lingerUntil. */
  private lingerTarget = 0;
  private lingerUntil = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Counters for tests, benchmarks and metrics. */
  readonly stats = { batches: 0, batchedWrites: 0, batchSplits: 0 };

  constructor(
    readonly db: Database,
    readonly config: StoreConfig,
    private readonly log: Logger,
  ) {
    this.maxInFlight = config.KSCAPE_STORAGE_WRITE_PIPELINE;
    this.hub = new WatchHub(db, log, {
      pollIntervalMs: config.KSCAPE_STORAGE_WATCH_POLL_INTERVAL,
      bufferSize: config.KSCAPE_STORAGE_WATCH_BUFFER,
      coalesceMs: config.KSCAPE_STORAGE_WATCH_COALESCE,
    });
  }

  /** @internal called by createPostgresStore */
  async start(autoCompact: boolean): Promise<void> {
    await this.hub.start();
    if (autoCompact) this.scheduleCompaction();
  }

  get watchStats(): WatchHub['stats'] {
    return this.hub.stats;
  }

  // ---------------------------------------------------------------- reads

  async get(key: ObjectKey, opts: { withBody?: boolean } = {}): Promise<StoredObject | undefined> {
    const withBody = opts.withBody !== false;
    try {
      const { rows } = await this.db.query<ObjectRow>(
        `SELECT namespace, name, uid, resource_version::text AS rv, metadata, summary${withBody ? ', body' : ''}
           FROM storage_objects WHERE resource = $1 AND namespace = $2 AND name = $3`,
        [key.resource, key.namespace, key.name],
      );
      return rows[0] ? toStored(key.resource, rows[0]) : undefined;
    } catch (e) {
      throw mapErr(e);
    }
  }

  async list(opts: ListOptions): Promise<ListResult> {
    let snapshot: string | undefined = opts.atResourceVersion;
    let after: { namespace: string; name: string } | undefined;
    if (opts.continue) {
      const t = decodeContinue(opts.continue, opts.resource);
      snapshot = t.rv;
      after = { namespace: t.namespace, name: t.name };
    }
    if (snapshot !== undefined && !DECIMAL_RV.test(snapshot)) throw new BadContinueError(`invalid resourceVersion ${JSON.stringify(snapshot)}`);
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : undefined;
    try {
      return snapshot === undefined ? await this.listLatest(opts, limit) : await this.listAt(opts, snapshot, after, limit);
    } catch (e) {
      throw mapErr(e);
    }
  }

  private where(alias: string, opts: ListOptions, p: Params, after?: { namespace: string; name: string }): string {
    const conds = [`${alias}.resource = ${p.add(opts.resource)}`];
    if (opts.namespace !== undefined) conds.push(`${alias}.namespace = ${p.add(opts.namespace)}`);
    if (after) conds.push(`(${alias}.namespace, ${alias}.name) > (${p.add(after.namespace)}, ${p.add(after.name)})`);
    conds.push(...fieldSql(alias, opts.fields, p), ...labelSql(alias, opts.labels, p));
    return conds.join(' AND ');
  }

  /** First page, latest state: one statement, so the counter and the rows are one snapshot. */
  private async listLatest(opts: ListOptions, limit: number | undefined): Promise<ListResult> {
    const p = new Params();
    const where = this.where('o', opts, p);
    const lim = limit !== undefined ? `LIMIT ${p.add(limit + 1)}` : '';
    // remainingItemCount is cheap (index-only count) without selectors; kube omits it with them.
    const countable = limit !== undefined && !opts.labels?.length && !opts.fields?.length;
    const sum = summaryCol(opts);
    const countCol = countable ? `, (SELECT count(*) FROM storage_objects o WHERE ${where})::text AS total` : '';
    const cols = `o.namespace, o.name, o.uid, o.resource_version::text AS rv, ${metadataCols(opts, 'o')}${sum('o')}${opts.withBody ? ', o.body' : ''}`;
    type Row = ObjectRow & { snap: string; total?: string };
    // The rows in the primary key's order with the counter read by the same statement (an
    // InitPlan): the counter row joined with the rows and ordered outside made PostgreSQL sort the
    // whole result again, on disk beyond work_mem (4 MB) for a 10,000-item metadata listing.
    let { rows } = await this.db.query<Row>(
      `SELECT (SELECT value::text FROM storage_state WHERE key = 'rv') AS snap${countCol}, ${cols}
         FROM storage_objects o WHERE ${where}
        ORDER BY o.namespace, o.name ${lim}`,
      p.values,
    );
    if (rows.length === 0) {
      // No row to carry the counter: read it with the listing (empty a moment ago, or small) in one
      // statement, so that the list and its resourceVersion stay one snapshot.
      ({ rows } = await this.db.query<Row>(
        `SELECT s.value::text AS snap${countCol}, r.*
           FROM storage_state s
           LEFT JOIN LATERAL (SELECT ${cols} FROM storage_objects o WHERE ${where} ORDER BY o.namespace, o.name ${lim}) r ON true
          WHERE s.key = 'rv'
          ORDER BY r.namespace, r.name`,
        p.values,
      ));
    }
    const snap = rows[0]?.snap ?? '0';
    const items = rows.filter((r) => r.name !== null);
    const out = this.page(opts.resource, snap, items, limit);
    if (countable && out.continue !== undefined && rows[0]?.total !== undefined)
      out.remainingItemCount = Number(rows[0].total) - out.items.length;
    return out;
  }

  /**
   * State as of RV x: objects unchanged since x come from storage_objects; keys changed after x
   * (updated, deleted or created later) come from their latest event <= x in the log, if that is
   * not a DELETED. Compaction keeps exactly those events (see the migration), and the compaction
   * RV read in the same statement tells whether x is still servable.
   */
  private async listAt(
    opts: ListOptions,
    x: string,
    after: { namespace: string; name: string } | undefined,
    limit: number | undefined,
  ): Promise<ListResult> {
    const p = new Params();
    const xp = p.add(x);
    const whereO = this.where('o', opts, p, after);
    const resE = p.add(opts.resource);
    const nsE = opts.namespace !== undefined ? ` AND e.namespace = ${p.add(opts.namespace)}` : '';
    const afterE = after ? ` AND (e.namespace, e.name) > (${p.add(after.namespace)}, ${p.add(after.name)})` : '';
    const filtE = [...fieldSql('e', opts.fields, p), ...labelSql('e', opts.labels, p)].map((c) => ` AND ${c}`).join('');
    const lim = limit !== undefined ? `LIMIT ${p.add(limit + 1)}` : '';
    const body = opts.withBody ? ', body' : '';
    const sum = summaryCol(opts);
    // The outer select reads the labels of the union's rows for metadataJson (metadataCols).
    const labels = (alias: string): string => (metadataJsonFields(opts)?.labels ? `, ${alias}.labels` : '');
    const { rows } = await this.db.query<ObjectRow & { cur: string; compacted: string }>(
      `SELECT st.cur, st.compacted, r.*
         FROM (SELECT (SELECT value::text FROM storage_state WHERE key = 'rv') AS cur,
                      (SELECT value::text FROM storage_state WHERE key = 'compacted_rv') AS compacted) st
         LEFT JOIN LATERAL (
           SELECT u.namespace, u.name, u.uid, u.rv::text AS rv, ${metadataCols(opts, 'u')}${sum('u')}${body} FROM (
             SELECT o.namespace, o.name, o.uid, o.resource_version AS rv, o.metadata${labels('o')}${sum('o')}${opts.withBody ? ', o.body' : ''}
               FROM storage_objects o
              WHERE ${whereO} AND o.resource_version <= ${xp}::bigint
             UNION ALL
             SELECT e.namespace, e.name, e.uid, e.seq AS rv, e.metadata${labels('e')}${sum('e')}${opts.withBody ? ', e.body' : ''} FROM (
               SELECT DISTINCT ON (e.namespace, e.name) e.*
                 FROM storage_events e
                WHERE e.resource = ${resE} AND e.seq <= ${xp}::bigint${nsE}${afterE}
                  AND EXISTS (SELECT 1 FROM storage_events a
                               WHERE a.resource = e.resource AND a.namespace = e.namespace AND a.name = e.name
                                 AND a.seq > ${xp}::bigint)
                ORDER BY e.namespace, e.name, e.seq DESC
             ) e
             WHERE e.type <> 'DELETED'${filtE}
           ) u
           ORDER BY u.namespace, u.name ${lim}
         ) r ON true
        ORDER BY r.namespace, r.name`,
      p.values,
    );
    const cur = Number(rows[0]?.cur ?? 0);
    const compacted = Number(rows[0]?.compacted ?? 0);
    if (Number(x) < compacted)
      throw new GoneError(
        opts.continue
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
          : `too old resource version: ${x} (${compacted})`,
      );
    if (Number(x) > cur) throw new TooLargeResourceVersionError(`Too large resource version: ${x}, current: ${cur}`);
    return this.page(
      opts.resource,
      x,
      rows.filter((r) => r.name !== null),
      limit,
    );
  }

  private page(resource: string, snap: string, rows: ObjectRow[], limit: number | undefined): ListResult {
    const more = limit !== undefined && rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map((r) => toStored(resource, r));
    const out: ListResult = { items, resourceVersion: snap };
    if (more) {
      const last = items[items.length - 1]!;
      out.continue = encodeContinue({ rv: snap, resource, namespace: last.namespace, name: last.name });
    }
    return out;
  }

  async currentResourceVersion(): Promise<string> {
    try {
      return String(await this.hub.currentRv());
    } catch (e) {
      throw mapErr(e);
    }
  }

  async compactedResourceVersion(): Promise<string> {
    try {
      const { rows } = await this.db.query<{ v: string }>(`SELECT value::text AS v FROM storage_state WHERE key = 'compacted_rv'`);
      return rows[0]?.v ?? '0';
    } catch (e) {
      throw mapErr(e);
    }
  }

  // ---------------------------------------------------------------- writes

  private validate(k: ObjectKey): void {
    if (!k.resource || !k.name) throw new StoreError(`invalid key ${JSON.stringify(k)}`);
  }

  /** Serialise metadata for storage: resourceVersion is never stored (the row's RV is truth). */
  private encodeMeta(input: CreateInput): { metadata: string; labels: string } {
    let metadata = input.metadataJson;
    if (metadata === undefined) {
      const { resourceVersion: _rv, ...rest } = input.metadata;
      metadata = JSON.stringify({ ...rest, uid: input.uid || rest.uid });
    }
    const labels = JSON.stringify(input.metadata.labels ?? {});
    // PostgreSQL text and jsonb cannot hold NUL; refuse here rather than fail a whole batch.
    if (metadata.includes('\\u0000') || input.body.includes('\u0000')) throw new StoreError('object contains a NUL character');
    return { metadata, labels };
  }

  async create(input: CreateInput, opts: WriteOptions = {}): Promise<StoredObject> {
    this.validate(input);
    const { metadata, labels } = this.encodeMeta(input);
    if (opts.dryRun) {
      if (await this.get(input, { withBody: false })) throw new AlreadyExistsError(`${describeKey(input)} already exists`);
      // Nothing was written, so no resourceVersion was assigned (kube returns none either).
      return this.built(input, input.uid, '', metadata, opts);
    }
    const r = await this.write({
      op: 'create',
      ...this.keyOf(input),
      uid: input.uid,
      metadata,
      labels,
      body: input.body,
      summary: this.encodeSummary(input),
      expectedRv: null,
      expectedUid: null,
    });
    if (r.status === 'exists') throw new AlreadyExistsError(`${describeKey(input)} already exists`);
    return this.built(input, input.uid, r.rv!, metadata, opts);
  }

  async update(input: UpdateInput, opts: WriteOptions = {}): Promise<StoredObject> {
    this.validate(input);
    const expected = input.expectedResourceVersion;
    if (expected !== undefined && !DECIMAL_RV.test(expected))
      throw new ConflictError(`${describeKey(input)}: the object has been modified; please apply your changes to the latest version and try again`);
    const { metadata, labels } = this.encodeMeta(input);
    if (opts.dryRun) {
      const cur = await this.get(input, { withBody: false });
      if (!cur) throw new NotFoundError(`${describeKey(input)} not found`);
      if ((expected !== undefined && expected !== cur.resourceVersion) || (input.uid && input.uid !== cur.uid))
        throw this.conflict(input);
      return this.built(input, cur.uid, cur.resourceVersion, metadata, opts);
    }
    const r = await this.write({
      op: 'update',
      ...this.keyOf(input),
      uid: input.uid ?? '',
      metadata,
      labels,
      body: input.body,
      summary: this.encodeSummary(input),
      expectedRv: expected ?? null,
      expectedUid: null,
    });
    if (r.status === 'notfound') throw new NotFoundError(`${describeKey(input)} not found`);
    if (r.status === 'conflict') throw this.conflict(input);
    return this.built(input, r.uid!, r.rv!, metadata, opts);
  }

  async delete(key: ObjectKey, pre: DeletePreconditions = {}, opts: WriteOptions = {}): Promise<StoredObject> {
    this.validate(key);
    if (pre.resourceVersion !== undefined && !DECIMAL_RV.test(pre.resourceVersion))
      throw new ConflictError(`${describeKey(key)}: precondition failed: resourceVersion ${pre.resourceVersion}`);
    if (opts.dryRun) {
      const cur = await this.get(key, { withBody: true });
      if (!cur) throw new NotFoundError(`${describeKey(key)} not found`);
      this.checkPre(key, cur, pre);
      return cur;
    }
    const r = await this.write({
      op: 'delete',
      ...this.keyOf(key),
      uid: null,
      metadata: null,
      labels: null,
      body: null,
      summary: null,
      expectedRv: pre.resourceVersion ?? null,
      expectedUid: pre.uid ?? null,
    });
    if (r.status === 'notfound') throw new NotFoundError(`${describeKey(key)} not found`);
    if (r.status === 'conflict') {
      const cur = { uid: r.uid ?? '', resourceVersion: r.rv ?? '' };
      this.checkPre(key, cur, pre);
      throw new ConflictError(`${describeKey(key)}: precondition failed`);
    }
    return toStored(key.resource, {
      namespace: key.namespace,
      name: key.name,
      uid: r.uid!,
      rv: r.rv!,
      metadata: r.metadata ?? {},
      summary: r.summary,
      ...(r.body !== null ? { body: r.body } : {}),
    });
  }

  private checkPre(key: ObjectKey, cur: { uid: string; resourceVersion: string }, pre: DeletePreconditions): void {
    if (pre.uid !== undefined && pre.uid !== cur.uid)
      throw new ConflictError(`${describeKey(key)}: precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.uid}`);
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== cur.resourceVersion)
      throw new ConflictError(
        `${describeKey(key)}: precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.resourceVersion}`,
      );
  }

  private encodeSummary(input: CreateInput): string | null {
    if (input.summary === undefined) return null;
    const s = JSON.stringify(input.summary);
    if (s.includes('\\u0000')) throw new StoreError('summary contains a NUL character');
    return s;
  }

  private conflict(k: ObjectKey): ConflictError {
    return new ConflictError(`Operation cannot be fulfilled on ${describeKey(k)}: the object has been modified; please apply your changes to the latest version and try again`);
  }

  private keyOf(k: ObjectKey): ObjectKey {
    return { resource: k.resource, namespace: k.namespace, name: k.name };
  }

  private built(input: CreateInput, uid: string, rv: string, metadataJson: string, opts: WriteOptions): StoredObject {
    // Unless the caller hands its objects over, re-parse what we stored rather than alias them:
    // the result must not change when the caller mutates its input afterwards.
    const metadata = opts.adopt ? input.metadata : (JSON.parse(metadataJson) as ObjectMeta);
    metadata.uid = uid;
    if (rv) metadata.resourceVersion = rv;
    const out: StoredObject = { resource: input.resource, namespace: input.namespace, name: input.name, uid, resourceVersion: rv, metadata, body: input.body };
    if (input.summary !== undefined) out.summary = opts.adopt ? input.summary : (JSON.parse(JSON.stringify(input.summary)) as Record<string, unknown>);
    return out;
  }

  private write(w: Omit<PendingWrite, 'resolve' | 'reject'>): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new UnavailableError('store closed'));
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ ...w, resolve, reject });
      this.pump();
    });
  }

  /**
   * Group commit: while batches are in flight, new writes queue up and go together in the next
   * call. Writers serialise in the database anyway (the rv row lock, held until the commit's WAL
   * flush), so few batches in flight per process lose nothing and turn N flushes into one. A
   * second batch is sent while one is in flight only when it is full (KSCAPE_STORAGE_WRITE_PIPELINE
   * bounds how many): it then waits on the row lock inside the server, hiding the round trip
   * between "committed" and "next batch sent"; a partial one would only split the writers.
   *
   * Linger: when a batch commits, its writers usually write again soon (a client's next request,
   * a controller's next object). Sending the writes queued meanwhile at once would split the
   * writers into alternating groups, each paying a flush. So the next batch waits, at most
   * KSCAPE_STORAGE_WRITE_LINGER and at most half the last batch's duration, until as many writes
   * are queued as were in that batch plus those already waiting. A lone writer never waits (its
   * write alone reaches the target); one that does not come back costs that bounded delay once.
   */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      // Another batch in flight: only a full batch goes now (it cannot grow by waiting); a partial
      // one waits for the commit and takes everything queued until then.
      if (this.inFlight > 0 && this.queue.length < this.config.KSCAPE_STORAGE_WRITE_BATCH_MAX) return;
      if (this.queue.length < this.lingerTarget && performance.now() < this.lingerUntil) {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined;
          this.lingerTarget = 0;
          this.pump();
        }, Math.max(0, Math.ceil(this.lingerUntil - performance.now())));
        return;
      }
      this.lingerTarget = 0;
      if (this.lingerTimer) {
        clearTimeout(this.lingerTimer);
        this.lingerTimer = undefined;
      }
      const batch: PendingWrite[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < this.config.KSCAPE_STORAGE_WRITE_BATCH_MAX) {
        const next = this.queue[0]!;
        const size = (next.body?.length ?? 0) + (next.metadata?.length ?? 0);
        if (batch.length > 0 && bytes + size > this.config.KSCAPE_STORAGE_WRITE_BATCH_BYTES) break;
        bytes += size;
        batch.push(this.queue.shift()!);
      }
      this.inFlight++;
      const started = performance.now();
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        const done = performance.now();
        this.lingerTarget = Math.min(this.config.KSCAPE_STORAGE_WRITE_BATCH_MAX, batch.length + this.queue.length);
        this.lingerUntil = done + Math.min(this.config.KSCAPE_STORAGE_WRITE_LINGER, (done - started) / 2);
        if (this.inFlight === 0 && this.queue.length === 0) {
          const ws = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of ws) w();
        }
        this.pump();
      });
    }
  }

  private async runBatch(batch: PendingWrite[]): Promise<void> {
    const settled = this.hub.writeStarted();
    try {
      await this.runBatchInFlight(batch);
    } finally {
      settled();
    }
  }

  private async runBatchInFlight(batch: PendingWrite[]): Promise<void> {
    let results: WriteResult[];
    try {
      results = await this.execBatch(batch);
    } catch (e) {
      if (batch.length > 1 && !isUnavailable(e)) {
        // One bad write must not fail its neighbours: retry each alone so only it fails.
        this.stats.batchSplits++;
        for (const w of batch) await this.runBatch([w]);
        return;
      }
      const err = mapErr(e);
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i];
      if (r?.status === 'ok' && r.rv !== null && w.body !== null && w.op !== 'delete') this.hub.noteCommitted(Number(r.rv), w.body);
    });
    this.hub.kick();
    batch.forEach((w, i) => {
      const r = results[i];
      if (r) w.resolve(r);
      else w.reject(new StoreError('storage_write returned no result'));
    });
  }

  private async execBatch(batch: PendingWrite[]): Promise<WriteResult[]> {
    this.stats.batches++;
    this.stats.batchedWrites += batch.length;
    const params: unknown[] = [
      batch.map((w) => w.op),
      batch.map((w) => w.resource),
      batch.map((w) => w.namespace),
      batch.map((w) => w.name),
      batch.map((w) => w.uid),
      batch.map((w) => w.expectedRv),
      batch.map((w) => w.expectedUid),
    ];
    // The JSON texts go as one parameter each, not inside an array literal: the driver would
    // escape every quote of every body (and the server unescape it) to build `{"{\"spec\"..."}`.
    const each = (pick: (w: PendingWrite) => string | null): string =>
      `ARRAY[${batch.map((w) => `$${params.push(pick(w))}`).join(',')}]::text[]`;
    const sql = `SELECT r_idx, r_status, r_rv::text AS r_rv, r_uid, r_metadata, r_body, r_summary
         FROM storage_write($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], ${each((w) => w.metadata)}, ${each((w) => w.labels)},
                            ${each((w) => w.body)}, $6::bigint[], $7::text[], ${each((w) => w.summary)})`;
    const { rows } = await this.db.query<{
      r_idx: number;
      r_status: WriteResult['status'];
      r_rv: string | null;
      r_uid: string | null;
      r_metadata: Record<string, unknown> | null;
      r_body: string | null;
      r_summary: Record<string, unknown> | null;
    }>(sql, params);
    const out: WriteResult[] = [];
    for (const r of rows)
      out[Number(r.r_idx)] = { status: r.r_status, rv: r.r_rv, uid: r.r_uid, metadata: r.r_metadata, body: r.r_body, summary: r.r_summary };
    return out;
  }

  // ---------------------------------------------------------------- watch

  watch(opts: WatchOptions): WatchHandle {
    return this.hub.watch(opts);
  }

  // ---------------------------------------------------------------- compaction

  async compact(): Promise<string> {
    try {
      const { rows } = await this.db.query<{ c: string | null }>(`SELECT storage_compact($1)::text AS c`, [
        this.config.KSCAPE_STORAGE_EVENT_RETENTION,
      ]);
      return rows[0]?.c ?? (await this.compactedResourceVersion());
    } catch (e) {
      throw mapErr(e);
    }
  }

  private scheduleCompaction(): void {
    if (this.closed) return;
    const mean = this.config.KSCAPE_STORAGE_COMPACT_INTERVAL;
    // ±50% jitter: replicas started together drift apart instead of contending every interval.
    const delay = Math.round(mean * (0.5 + Math.random()));
    this.compactTimer = setTimeout(() => {
      void this.compact()
        .catch((e: unknown) => this.log.warn({ err: e }, 'compaction failed'))
        .finally(() => this.scheduleCompaction());
    }, delay);
    this.compactTimer.unref();
  }

  // ---------------------------------------------------------------- lifecycle

  async ping(): Promise<void> {
    try {
      await this.db.query('SELECT 1');
    } catch (e) {
      throw mapErr(e);
    }
  }

  /** Stops the poller and timers, ends watches, waits for queued writes. Does not close `db`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compactTimer) clearTimeout(this.compactTimer);
    if (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.hub.close();
  }
}
