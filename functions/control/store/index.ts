/**
 * Replay protection and the command audit log, in PostgreSQL (or PGlite) through plain SQL.
 */
import { migrate, migrationsFolderNextTo, type Database } from '../../../lib/db/index.js';

const migrationsFolder = (): string => migrationsFolderNextTo(import.meta.url);

export type CommandStatus = 'accepted' | 'rejected' | 'failed';

export interface CommandRecord {
  id: string;
  receivedAt: Date;
  command: string | null;
  params: unknown;
  status: CommandStatus;
  reason: string | null;
  emittedEventIds: string[];
  webhookId: string | null;
  via: string;
}

export interface ControlStore {
  /** Remember a webhook-id until `expiresAt`; false when it was already seen (replay). */
  claimWebhookId(id: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Delete expired replay rows; returns how many. */
  cleanupReplay(now: Date): Promise<number>;
  record(rec: CommandRecord): Promise<void>;
  get(id: string): Promise<CommandRecord | undefined>;
}

export class SqlControlStore implements ControlStore {
  constructor(private readonly db: Database) {}

  static async open(db: Database, folder = migrationsFolder()): Promise<SqlControlStore> {
    await migrate(db, { folder, table: 'control_migrations' });
    return new SqlControlStore(db);
  }

  async claimWebhookId(id: string, expiresAt: Date, now: Date): Promise<boolean> {
    // An expired row for the same id may be reused (its timestamp could not pass the window anyway).
    const { rows } = await this.db.query<{ webhook_id: string }>(
      `INSERT INTO control_replay (webhook_id, expires_at) VALUES ($1, $2)
       ON CONFLICT (webhook_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE control_replay.expires_at <= $3
       RETURNING webhook_id`,
      [id, expiresAt.toISOString(), now.toISOString()],
    );
    return rows.length === 1;
  }

  async cleanupReplay(now: Date): Promise<number> {
    const { rows } = await this.db.query<{ webhook_id: string }>(`DELETE FROM control_replay WHERE expires_at <= $1 RETURNING webhook_id`, [
      now.toISOString(),
    ]);
    return rows.length;
  }

  async record(r: CommandRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO control_commands (id, received_at, command, params, status, reason, emitted_event_ids, webhook_id, via)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8, $9)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, emitted_event_ids = EXCLUDED.emitted_event_ids`,
      [
        r.id,
        r.receivedAt.toISOString(),
        r.command,
        r.params === undefined ? null : JSON.stringify(r.params),
        r.status,
        r.reason,
        JSON.stringify(r.emittedEventIds),
        r.webhookId,
        r.via,
      ],
    );
  }

  async get(id: string): Promise<CommandRecord | undefined> {
    const { rows } = await this.db.query<{
      id: string;
      received_at: Date | string;
      command: string | null;
      params: unknown;
      status: CommandStatus;
      reason: string | null;
      emitted_event_ids: string[] | string;
      webhook_id: string | null;
      via: string;
    }>(`SELECT * FROM control_commands WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return undefined;
    const json = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);
    return {
      id: r.id,
      receivedAt: new Date(r.received_at),
      command: r.command,
      params: json(r.params),
      status: r.status,
      reason: r.reason,
      emittedEventIds: json(r.emitted_event_ids) as string[],
      webhookId: r.webhook_id,
      via: r.via,
    };
  }
}
