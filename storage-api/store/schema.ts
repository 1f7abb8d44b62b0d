/**
 * storage-api tables (owned by storage-api only; see DESIGN.md §3 "a folder owns its data").
 *
 * - storage_objects: current state. Metadata, labels and body are separate columns so metadata-only
 *   reads (lists, PartialObjectMetadata, watches without body) never detoast multi-megabyte bodies.
 *   The primary key (resource, namespace, name) is also the list order index.
 * - storage_events: the change log. `seq` IS the resourceVersion. Each row carries the new state
 *   (the last state for DELETED) plus the labels before the change, so label-filtered watchers can
 *   turn "stopped matching" into DELETED and "started matching" into ADDED.
 * - storage_state: two counters, `rv` (last committed resourceVersion; its row lock serialises
 *   writers, see README) and `compacted_rv` (oldest replayable RV).
 *
 * Functions `storage_write` and `storage_compact` live in a custom migration (0001).
 */
import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const storageObjects = pgTable(
  'storage_objects',
  {
    resource: text('resource').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    uid: text('uid').notNull(),
    resourceVersion: bigint('resource_version', { mode: 'number' }).notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    /** Engine-computed summary (printer columns, virtual kinds): read with metadata, never with body. */
    summary: jsonb('summary').$type<Record<string, unknown>>(),
    body: text('body').notNull(),
  },
  (t) => [
    primaryKey({ name: 'storage_objects_pkey', columns: [t.resource, t.namespace, t.name] }),
    // jsonb_ops (default) supports @> and ?: every label selector operator we push down.
    index('storage_objects_labels_gin').using('gin', t.labels),
  ],
);

export const storageEvents = pgTable(
  'storage_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    resource: text('resource').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    type: text('type').$type<'ADDED' | 'MODIFIED' | 'DELETED'>().notNull(),
    uid: text('uid').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    prevLabels: jsonb('prev_labels').$type<Record<string, string>>(),
    summary: jsonb('summary').$type<Record<string, unknown>>(),
    body: text('body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Snapshot reads ("state of key K as of RV X") and compaction look up events per key by seq.
    index('storage_events_key_seq').on(t.resource, t.namespace, t.name, t.seq),
  ],
);

export const storageState = pgTable('storage_state', {
  key: text('key').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
});
