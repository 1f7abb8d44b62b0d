/**
 * The persistence contract of storage-api. The HTTP engine (storage-api/engine) speaks only this
 * interface; storage-api/store implements it on PostgreSQL (`pg`) and PGlite with one drizzle schema.
 *
 * Model (DESIGN.md §5):
 * - one `objects` table keyed by (resource, namespace, name) with metadata, labels and the rest of the
 *   object ("body": spec, status, ...) in separate columns, so metadata-only reads never read bodies;
 * - one `events` log whose global sequence IS the resourceVersion (decimal string on the wire); each
 *   write appends the object's new state (or last state, for DELETED) in the same transaction;
 * - resourceVersions are committed in sequence order, so a reader that has seen RV n has seen every
 *   change <= n (watchers never miss an event and lists at RV n are consistent);
 * - the log is compacted after a retention window; asking for history older than the compaction
 *   point fails with `GoneError` (watch: 410 Gone, list continue: 410 Expired).
 */

/** `"<group>/<plural>"`, with `core` as the group of the legacy core API: `core/pods`. */
export type ResourceKey = string;

export interface ObjectKey {
  resource: ResourceKey;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** ObjectMeta as stored. resourceVersion inside `metadata` is ignored on write and set on read. */
export type ObjectMeta = Record<string, unknown> & {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

export interface StoredObject extends ObjectKey {
  uid: string;
  /** Decimal string of the sequence number of the last write. */
  resourceVersion: string;
  metadata: ObjectMeta;
  /**
   * Everything but apiVersion, kind and metadata, as a JSON object text (`{"spec":{...}}`).
   * Kept as text so a GET can be written to the socket without parsing a 20 MB SBOM.
   * Absent when the read asked for metadata only.
   */
  body?: string;
  /**
   * Small JSON summary computed by the engine at write time (ResourceDefinition.summarize), read
   * with metadata (never with the body) for Table cells and virtual kinds. Store as jsonb.
   */
  summary?: Record<string, unknown>;
  /**
   * The served metadata (resourceVersion set, no namespace on cluster-scoped objects) as the
   * database's JSON text; only from lists with `ListOptions.metadataJson`, whose `metadata` then
   * holds just name, namespace, uid, creationTimestamp, labels and resourceVersion.
   */
  metadataJson?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  type: WatchEventType;
  object: StoredObject;
  /**
   * `performance.now()` when this process learned that the change was committed (its own commit,
   * or the NOTIFY of another replica): the start of the watch delivery latency. Optional.
   */
  observedAt?: number;
}

/** A parsed label selector requirement (apimachinery `labels.Requirement`). */
export type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** Field selectors supported on every kind: `metadata.name`, `metadata.namespace`. */
export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  op: 'eq' | 'neq';
  value: string;
}

export interface Filter {
  resource: ResourceKey;
  /** Restrict to one namespace; undefined = all namespaces (and cluster-scoped objects). */
  namespace?: string;
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
}

export interface ListOptions extends Filter {
  /** Page size; undefined or 0 = everything. */
  limit?: number;
  /** Opaque continue token from a previous page of the same filter. */
  continue?: string;
  /** Read the bodies too (false for metadata-only, Table and PartialObjectMetadata lists). */
  withBody: boolean;
  /** Read the summaries (default true; PartialObjectMetadata lists have no use for them). */
  withSummary?: boolean;
  /**
   * Metadata to be written out as is (PartialObjectMetadataList items, Table rows' objects): each
   * item's `StoredObject.metadataJson` is its served metadata as the database renders it, and its
   * `metadata` only the fields Table cells read (name, namespace, uid, creationTimestamp, labels,
   * resourceVersion). Spares a JSON parse and a re-serialisation of every metadata of a listing.
   * An object says which of labels and creationTimestamp the caller reads (`true`: both); the
   * others are not read at all.
   */
  metadataJson?: boolean | { labels: boolean; creationTimestamp: boolean };
  /**
   * Snapshot: list as of exactly this resourceVersion (resourceVersionMatch=Exact, or continue pages).
   * Fails with GoneError when older than the compaction point. Undefined = the latest state.
   */
  atResourceVersion?: string;
}

export interface ListResult {
  items: StoredObject[];
  /** The snapshot RV the list represents. */
  resourceVersion: string;
  /** Set when more items remain; pass back as `continue`. */
  continue?: string;
  /** Items remaining after this page, when cheap to know (ListMeta.remainingItemCount). */
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * The caller hands `metadata` and `summary` over: the returned object may be those very objects
   * (uid and resourceVersion set on them) instead of copies, and the caller must not change them
   * afterwards. Saves re-parsing what was just serialised on every write of the API engine.
   */
  adopt?: boolean;
}

export interface CreateInput extends ObjectKey {
  uid: string;
  metadata: ObjectMeta;
  /**
   * `metadata` already serialised by the caller, exactly as the store would: `JSON.stringify` of a
   * metadata without `resourceVersion` whose `uid` is `uid`. Stored as is (no second serialisation).
   */
  metadataJson?: string;
  body: string;
  summary?: Record<string, unknown>;
}

export interface UpdateInput extends CreateInput {
  /** Optimistic concurrency: the update fails with ConflictError unless the stored RV equals this. */
  expectedResourceVersion?: string;
}

export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends Filter {
  /**
   * Deliver every event with RV > this. Undefined = from now.
   * Fails with GoneError if this RV is older than the compaction point.
   */
  sinceResourceVersion?: string;
  /** Let the store fill the body of events (false for metadata-only watch consumers). */
  withBody: boolean;
}

export interface WatchHandle {
  /** Events arrive in resourceVersion order, each exactly once. */
  [Symbol.asyncIterator](): AsyncIterator<StoredEvent>;
  /**
   * Optional batch form of the iterator (do not mix the two on one handle): resolves with every
   * event buffered so far (at least one), `undefined` once the watch has ended, or rejects like
   * the iterator. Lets a consumer write a burst with one socket write instead of one per event.
   */
  nextBatch?(): Promise<StoredEvent[] | undefined>;
  close(): void;
}

export interface Store {
  get(key: ObjectKey, opts?: { withBody?: boolean }): Promise<StoredObject | undefined>;
  list(opts: ListOptions): Promise<ListResult>;
  /** Count of objects matching (for virtual kinds and remainingItemCount). */
  create(input: CreateInput, opts?: WriteOptions): Promise<StoredObject>;
  update(input: UpdateInput, opts?: WriteOptions): Promise<StoredObject>;
  delete(key: ObjectKey, pre?: DeletePreconditions, opts?: WriteOptions): Promise<StoredObject>;
  watch(opts: WatchOptions): WatchHandle;
  /** The latest committed resourceVersion (what a list "now" returns). */
  currentResourceVersion(): Promise<string>;
  /** Oldest resourceVersion still replayable. */
  compactedResourceVersion(): Promise<string>;
  /** Drop events older than the retention window; returns the new compaction RV. */
  compact(): Promise<string>;
  /** Cheap health check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}
export class AlreadyExistsError extends StoreError {
  override name = 'AlreadyExistsError';
}
/** Stale resourceVersion or failed precondition. */
export class ConflictError extends StoreError {
  override name = 'ConflictError';
}
/** History compacted away: watch → 410 Gone, continue → 410 Expired. */
export class GoneError extends StoreError {
  override name = 'GoneError';
}
/** A malformed continue token. */
export class BadContinueError extends StoreError {
  override name = 'BadContinueError';
}
/** The database could not be reached or timed out: 503/504 with Retry-After. */
export class UnavailableError extends StoreError {
  override name = 'UnavailableError';
}
