/**
 * The control function's tables (owned by it alone):
 *
 * - control_replay: webhook-ids seen within the signature tolerance window, so a captured request
 *   cannot be replayed; rows expire after the window (older timestamps are rejected anyway).
 * - control_commands: audit of every command received, accepted or rejected (with the reason), and
 *   the ids of the events it emitted.
 */
import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const controlReplay = pgTable(
  'control_replay',
  {
    webhookId: text('webhook_id').primaryKey(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('control_replay_expires_idx').on(t.expiresAt)],
);

export const controlCommands = pgTable(
  'control_commands',
  {
    id: text('id').primaryKey(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    command: text('command'),
    params: jsonb('params').$type<unknown>(),
    status: text('status').notNull(),
    reason: text('reason'),
    emittedEventIds: jsonb('emitted_event_ids').$type<string[]>().notNull().default([]),
    webhookId: text('webhook_id'),
    via: text('via').notNull(),
  },
  (t) => [index('control_commands_received_idx').on(t.receivedAt)],
);
