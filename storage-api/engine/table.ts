/**
 * meta.k8s.io Table rendering for `kubectl get`.
 *
 * Columns: `Name`, the definition's printer columns, then `Age` (a relative duration, as CRD printer
 * columns of type date are rendered). Kinds without printer columns (the schema-less sandbox kinds)
 * get kube's default table, `Name` + `Created At` (RFC 3339). No NAMESPACE column: kubectl adds it
 * itself for `-A` from each row's PartialObjectMetadata.
 */
import type { KubeObject, PrinterColumn, ResourceDefinition, RowSource } from '../registry/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const NAME_COLUMN: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

const CREATION_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.';

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, so ages read exactly like kubectl's. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

// Rows of one listing mostly share a few creation timestamps (objects written in the same second):
// remember the last one parsed instead of Date.parse per row of a 10,000-row table.
let lastTs = '';
let lastTsMs = Number.NaN;

function age(ts: unknown, now: number): string | null {
  if (typeof ts !== 'string') return null;
  if (ts !== lastTs) {
    lastTs = ts;
    lastTsMs = Date.parse(ts);
  }
  return Number.isNaN(lastTsMs) ? null : humanDuration(now - lastTsMs);
}

export class TableRenderer {
  readonly columns: ColumnDefinition[];
  /** Some column reads the body: the list must load bodies. */
  readonly needsBody: boolean;
  /**
   * The cells read no more of the metadata than name, namespace, uid, creationTimestamp, labels
   * and resourceVersion (every printer column says so: PrinterColumn.readsMetadata).
   */
  readonly cellsReadFewMetadataFields: boolean;
  /** Some column reads the labels (PrinterColumn.readsMetadata 'labels'). */
  readonly cellsReadLabels: boolean;
  private readonly printer: PrinterColumn[];
  private readonly defaultTable: boolean;
  /** The definition has no Age printer column: one is appended. */
  private readonly appendAge: boolean;

  constructor(def: ResourceDefinition) {
    this.printer = def.printerColumns.filter((c) => c.name.toLowerCase() !== 'name');
    this.defaultTable = this.printer.length === 0;
    const hasAge = this.printer.some((c) => c.name.toLowerCase() === 'age');
    this.columns = [
      NAME_COLUMN,
      ...this.printer.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description,
        priority: c.priority,
      })),
      ...(this.defaultTable
        ? [{ name: 'Created At', type: 'date', format: '', description: CREATION_DESC, priority: 0 }]
        : hasAge
          ? []
          : [{ name: 'Age', type: 'date', format: '', description: CREATION_DESC, priority: 0 }]),
    ];
    this.needsBody = this.printer.some((c) => c.needsBody === true);
    this.appendAge = !this.defaultTable && !hasAge;
    this.cellsReadFewMetadataFields = this.printer.every((c) => c.readsMetadata === 'none' || c.readsMetadata === 'labels');
    this.cellsReadLabels = this.printer.some((c) => c.readsMetadata === 'labels');
  }

  cells(src: RowSource, now = Date.now()): unknown[] {
    const meta = src.metadata;
    const out: unknown[] = [meta.name];
    for (const c of this.printer) {
      let v: unknown;
      try {
        v = c.value(src);
      } catch {
        v = undefined; // a column must never fail the whole listing
      }
      if (v === undefined || v === null || v === '') out.push(null);
      else if (c.type === 'date') out.push(age(v, now));
      else out.push(v);
    }
    if (this.defaultTable) out.push(typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : null);
    else if (this.appendAge) out.push(age(meta.creationTimestamp, now));
    return out;
  }

  /**
   * `JSON.stringify(this.row(...))` without building the row and PartialObjectMetadata objects:
   * the same text (same keys, same order; pinned by table.test.ts), for the 10,000-row listings.
   */
  rowJson(src: RowSource, include: IncludeObject, pomVersion: string, full?: () => KubeObject): string {
    if (include === 'Metadata') {
      const metadata = src.metadataJson ?? JSON.stringify(src.metadata);
      return `{"cells":${JSON.stringify(this.cells(src))},"object":{"kind":"PartialObjectMetadata","apiVersion":${JSON.stringify(`meta.k8s.io/${pomVersion}`)},"metadata":${metadata}}}`;
    }
    return JSON.stringify(this.row(src, include, pomVersion, full));
  }

  row(src: RowSource, include: IncludeObject, pomVersion: string, full?: () => KubeObject): Record<string, unknown> {
    const row: Record<string, unknown> = { cells: this.cells(src) };
    if (include === 'Metadata')
      row.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${pomVersion}`, metadata: src.metadata };
    else if (include === 'Object') row.object = full ? full() : src.object;
    return row;
  }
}
