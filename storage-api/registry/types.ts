/**
 * What the generic engine needs to know about a kind. Result kinds are defined in `lib/api` (shared
 * with the functions); the sandbox cluster's built-in kinds are defined schema-less in
 * storage-api/registry/builtin.ts. The engine serves discovery, OpenAPI, tables and validation from
 * these definitions alone.
 */
import type { StoredObject } from '../store/types.js';

export interface PrinterColumn {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = always shown; > 0 only with `-o wide`. */
  priority: number;
  /** Compute the cell from the full object (apiVersion, kind, metadata, and body fields). */
  value(obj: KubeObject): unknown;
  /** True when `value` reads only metadata: the engine then lists without bodies. */
  metadataOnly?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string };
  [field: string]: unknown;
}

/** A kind computed from others (ConfigurationScanSummary, VulnerabilitySummary). */
export interface VirtualSource {
  /** The real resource whose objects feed this one, e.g. `<group>/workloadconfigurationscansummaries`. */
  from: string;
  /**
   * The virtual object's name for a source object (one virtual object per namespace: the namespace).
   */
  nameOf(source: StoredObject): string;
  /** Aggregate all source objects (full, with bodies) that map to `name` into the virtual object. */
  compute(name: string, sources: KubeObject[]): KubeObject;
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
  /** Optional semantic validation beyond the schema; returns field causes. */
  validate?(obj: KubeObject): { field: string; message: string }[];
}

export const resourceKey = (def: Pick<ResourceDefinition, 'group' | 'plural'>): string =>
  `${def.group || 'core'}/${def.plural}`;
