/**
 * The schedule function's tables (owned by it alone). They hold the only state continuous
 * scanning needs between events, so replicas cooperate and nothing is lost when Knative scales
 * the function to zero:
 *
 * - schedule_pending: debounced work. One row per object and job; every change of the object
 *   pushes `due_at` out by the debounce window (bounded by first_seen + max wait, so a resource
 *   that never stops changing is still scanned). The minute tick claims due rows.
 * - schedule_images: when a vulnerability scan was last requested for an image digest, so pod
 *   churn does not re-request the same image.
 * - schedule_image_seen: when each image digest was last seen running, so garbage collection keeps
 *   an image's SBOM and manifest for a grace period after its last pod is gone (a rollback or a
 *   restarted job then needs no rescan).
 */
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const schedulePending = pgTable(
  'schedule_pending',
  {
    key: text('key').primaryKey(),
    job: text('job').notNull(),
    ref: jsonb('ref').$type<Record<string, unknown>>().notNull(),
    firstSeen: timestamp('first_seen', { withTimezone: true }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    updates: integer('updates').notNull().default(1),
  },
  (t) => [index('schedule_pending_due_idx').on(t.dueAt)],
);

export const scheduleImages = pgTable('schedule_images', {
  digest: text('digest').primaryKey(),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
});

export const scheduleImageSeen = pgTable('schedule_image_seen', {
  digest: text('digest').primaryKey(),
  lastSeen: timestamp('last_seen', { withTimezone: true }).notNull(),
});
