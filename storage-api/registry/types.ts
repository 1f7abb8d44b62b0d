/**
 * What the generic engine needs to know about a kind. Result kinds are defined in `lib/api` (shared
 * with the functions); the sandbox cluster's built-in kinds are defined schema-less in
 * storage-api/registry/builtin.ts. The engine serves discovery, OpenAPI, tables and validation from
 * these definitions alone.
 */
import type { ObjectMeta } from '../store/types.js';

/** What a printer column or a virtual kind can read without loading the object's body. */
export interface RowSource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /** The definition's `summarize()` of the object, stored at write time. */
  summary?: Record<string, unknown>;
  /** The full object; present only for columns with `needsBody: true`. */
  object?: KubeObject;
  /**
   * `metadata` as served, already JSON (StoredObject.metadataJson): then `metadata` itself holds
   * only the fields cells may read (PrinterColumn.readsMetadata) and rows splice this text.
   */
  metadataJson?: string;
}

export interface PrinterColumn {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = always shown; > 0 only with `-o wide`. */
  priority: number;
  value(src: RowSource): unknown;
  /**
   * The cell needs the full body. Avoid: Table lists of such kinds read every body. Prefer
   * `summarize()` so the cell reads the small stored summary instead.
   */
  needsBody?: boolean;
  /**
   * What the cell reads of `src.metadata`: nothing ('none') or only the labels ('labels');
   * undefined = anything. Listings of kinds whose columns all say 'none' or 'labels' take each
   * metadata as the database's JSON text (ListOptions.metadataJson) and give the cells only name,
   * namespace, uid, creationTimestamp and resourceVersion, and the labels when a column reads them.
   */
  readsMetadata?: 'none' | 'labels';
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string };
  [field: string]: unknown;
}

/**
 * A kind computed from another one, never written by clients: ConfigurationScanSummary and
 * VulnerabilitySummary (one cluster-scoped object per namespace, aggregating summaries) and
 * SBOMSummary (a 1:1 light view of each SBOMSPDXv2p3). Computed from the sources' metadata and
 * stored summaries only, so lists stay cheap however large the sources are.
 */
export interface VirtualSource {
  /** The real resource feeding this one, e.g. `spdx.softwarecomposition.kubescape.io/workloadconfigurationscansummaries`. */
  from: string;
  /** Where a source object lands: the virtual object's namespace ('' when cluster-scoped) and name. */
  keyOf(source: RowSource & { namespace: string; name: string }): { namespace: string; name: string };
  /** Build the virtual object from every source that maps to `key` (at least one). */
  compute(key: { namespace: string; name: string }, sources: RowSource[]): KubeObject;
}

export interface ResourceDefinition {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** JSON Schema (OpenAPI v3 structural) of the whole object; undefined = schema-less (sandbox kinds). */
  schema?: Record<string, unknown>;
  /** Largest accepted request body for this kind, bytes. */
  maxBodyBytes: number;
  printerColumns: PrinterColumn[];
  /** Verbs to advertise; virtual kinds are read-only (get, list, watch). */
  verbs: string[];
  virtual?: VirtualSource;
  /**
   * A small JSON summary computed on every write and stored beside metadata (store column
   * `summary`), for printer columns and virtual kinds: e.g. severity counts, package count.
   */
  summarize?(obj: KubeObject): Record<string, unknown>;
  /** Optional semantic validation beyond the schema; returns field causes. */
  validate?(obj: KubeObject): { field: string; message: string }[];
}

export const resourceKey = (def: Pick<ResourceDefinition, 'group' | 'plural'>): string =>
  `${def.group || 'core'}/${def.plural}`;
