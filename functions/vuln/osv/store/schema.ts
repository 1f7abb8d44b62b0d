/**
 * The vulnerability database tables, owned by the vuln function alone (prefix `vulndb_`).
 *
 * Generations make updates atomic: an import loads a complete new generation next to the live one
 * and then flips `vulndb_meta.current_generation` in one short transaction; every lookup joins on
 * that value inside a single statement, so a scan sees either the old or the new DB, never half.
 * The old generation is deleted after the flip. Rows are normalised for lookup by
 * (ecosystem, package name): one `vulndb_affected` row per affected[] entry, with the severity
 * already computed at import so matching does no CVSS parsing.
 */
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const vulndbMeta = pgTable('vulndb_meta', {
  id: smallint('id').primaryKey(),
  currentGeneration: bigint('current_generation', { mode: 'number' }),
  contentHash: text('content_hash'),
  builtAt: timestamp('built_at', { withTimezone: true }),
});

export const vulndbGenerations = pgTable('vulndb_generations', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** loading → ready (current) → retired; crashed loads stay `loading` and are swept later. */
  state: text('state').notNull(),
  mode: text('mode').notNull(),
  baseGeneration: bigint('base_generation', { mode: 'number' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp('completed_at', { withTimezone: true }),
  contentHash: text('content_hash'),
  sources: jsonb('sources').$type<string[]>(),
  recordCount: integer('record_count'),
});

export const vulndbAdvisories = pgTable(
  'vulndb_advisories',
  {
    generation: bigint('generation', { mode: 'number' }).notNull(),
    id: text('id').notNull(),
    modified: timestamp('modified', { withTimezone: true }).notNull(),
    published: timestamp('published', { withTimezone: true }),
    withdrawn: timestamp('withdrawn', { withTimezone: true }),
    summary: text('summary'),
    aliases: text('aliases').array().notNull(),
    raw: jsonb('raw').notNull(),
  },
  (t) => [primaryKey({ columns: [t.generation, t.id] })],
);

export const vulndbAffected = pgTable(
  'vulndb_affected',
  {
    generation: bigint('generation', { mode: 'number' }).notNull(),
    advisoryId: text('advisory_id').notNull(),
    ecosystem: text('ecosystem').notNull(),
    name: text('name').notNull(),
    ranges: jsonb('ranges').notNull(),
    versions: text('versions').array().notNull(),
    severity: text('severity').notNull(),
    score: real('score'),
    vector: text('vector'),
    /** Fix state the source states explicitly (e.g. wont-fix); null = derive from the ranges. */
    fixHint: text('fix_hint'),
  },
  (t) => [
    index('vulndb_affected_lookup_idx').on(t.generation, t.ecosystem, t.name),
    index('vulndb_affected_advisory_idx').on(t.generation, t.advisoryId),
  ],
);
