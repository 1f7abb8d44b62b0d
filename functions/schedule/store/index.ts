/**
 * Debounce and dedupe state of the schedule function in PostgreSQL (or PGlite), through plain SQL
 * that both drivers run. Claims use `FOR UPDATE SKIP LOCKED`, so two replicas handling ticks at the
 * same time split the due work instead of doing it twice.
 */
import { migrate, migrationsFolderNextTo, type Database } from '../../../lib/db/index.js';
import type { ObjectRef } from '../../../lib/events/index.js';

export type PendingJob = 'configscan' | 'podimages';

export interface PendingItem {
  key: string;
  job: PendingJob;
  ref: ObjectRef;
  firstSeen: Date;
  dueAt: Date;
  updates: number;
}

const migrationsFolder = (): string => migrationsFolderNextTo(import.meta.url);

export function pendingKey(job: PendingJob, ref: ObjectRef): string {
  return `${job}:${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export class ScheduleStore {
  constructor(private readonly db: Database) {}

  static async open(db: Database, folder = migrationsFolder()): Promise<ScheduleStore> {
    await migrate(db, { folder, table: 'schedule_migrations' });
    return new ScheduleStore(db);
  }

  /**
   * Record a change: due at `now + window`, but never later than `firstSeen + maxWait`, so a
   * burst of updates gives one scan and a resource that changes forever is still scanned.
   */
  async touch(job: PendingJob, ref: ObjectRef, now: Date, windowMs: number, maxWaitMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO schedule_pending (key, job, ref, first_seen, due_at, updates)
       VALUES ($1, $2, $3::jsonb, $4, $4::timestamptz + make_interval(secs => $5::double precision / 1000), 1)
       ON CONFLICT (key) DO UPDATE SET
         ref = EXCLUDED.ref,
         updates = schedule_pending.updates + 1,
         due_at = LEAST(
           EXCLUDED.first_seen + make_interval(secs => $5::double precision / 1000),
           schedule_pending.first_seen + make_interval(secs => $6::double precision / 1000))`,
      [pendingKey(job, ref), job, JSON.stringify(ref), now.toISOString(), windowMs, maxWaitMs],
    );
  }

  /** Schedule a job at a fixed time (naked pods wait for the guard time, not a debounce window). */
  async scheduleAt(job: PendingJob, ref: ObjectRef, dueAt: Date, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO schedule_pending (key, job, ref, first_seen, due_at, updates)
       VALUES ($1, $2, $3::jsonb, $4, $5, 1)
       ON CONFLICT (key) DO UPDATE SET ref = EXCLUDED.ref, updates = schedule_pending.updates + 1`,
      [pendingKey(job, ref), job, JSON.stringify(ref), now.toISOString(), dueAt.toISOString()],
    );
  }

  async forget(ref: ObjectRef): Promise<void> {
    await this.db.query(`DELETE FROM schedule_pending WHERE key = ANY($1::text[])`, [
      (['configscan', 'podimages'] as const).map((j) => pendingKey(j, ref)),
    ]);
  }

  /** Take (delete and return) up to `limit` items due at `now`; concurrent claimers never get the same row. */
  async claimDue(now: Date, limit: number): Promise<PendingItem[]> {
    const { rows } = await this.db.query<{
      key: string;
      job: string;
      ref: ObjectRef | string;
      first_seen: Date | string;
      due_at: Date | string;
      updates: number;
    }>(
      `DELETE FROM schedule_pending WHERE key IN (
         SELECT key FROM schedule_pending WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING key, job, ref, first_seen, due_at, updates`,
      [now.toISOString(), limit],
    );
    return rows
      .map((r) => ({
        key: r.key,
        job: r.job as PendingJob,
        ref: typeof r.ref === 'string' ? (JSON.parse(r.ref) as ObjectRef) : r.ref,
        firstSeen: new Date(r.first_seen),
        dueAt: new Date(r.due_at),
        updates: Number(r.updates),
      }))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.key.localeCompare(b.key));
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM schedule_pending`);
    return Number(rows[0]?.n ?? 0);
  }

  /** Digests among `digests` whose scan was requested less than `ttlMs` ago. */
  async recentlyRequested(digests: readonly string[], now: Date, ttlMs: number): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const { rows } = await this.db.query<{ digest: string }>(
      `SELECT digest FROM schedule_images
        WHERE digest = ANY($1::text[]) AND requested_at > $2::timestamptz - make_interval(secs => $3::double precision / 1000)`,
      [digests, now.toISOString(), ttlMs],
    );
    return new Set(rows.map((r) => r.digest));
  }

  async markRequested(digests: readonly string[], now: Date): Promise<void> {
    if (digests.length === 0) return;
    await this.db.query(
      `INSERT INTO schedule_images (digest, requested_at) SELECT d, $2 FROM unnest($1::text[]) AS d
       ON CONFLICT (digest) DO UPDATE SET requested_at = EXCLUDED.requested_at`,
      [digests, now.toISOString()],
    );
  }

  /** Record that these digests run now (garbage collection measures its grace period from here). */
  async markSeen(digests: readonly string[], now: Date): Promise<void> {
    if (digests.length === 0) return;
    await this.db.query(
      `INSERT INTO schedule_image_seen (digest, last_seen) SELECT d, $2 FROM unnest($1::text[]) AS d
       ON CONFLICT (digest) DO UPDATE SET last_seen = GREATEST(schedule_image_seen.last_seen, EXCLUDED.last_seen)`,
      [[...new Set(digests)], now.toISOString()],
    );
  }

  /** When each of `digests` was last seen running (absent: never recorded). */
  async lastSeen(digests: readonly string[]): Promise<Map<string, Date>> {
    if (digests.length === 0) return new Map();
    const { rows } = await this.db.query<{ digest: string; last_seen: Date | string }>(
      `SELECT digest, last_seen FROM schedule_image_seen WHERE digest = ANY($1::text[])`,
      [[...new Set(digests)]],
    );
    return new Map(rows.map((r) => [r.digest, new Date(r.last_seen)]));
  }

  /** Drop the record of digests whose results were collected (the table stays as small as the cluster's images). */
  async forgetSeen(digests: readonly string[]): Promise<void> {
    if (digests.length === 0) return;
    await this.db.query(`DELETE FROM schedule_image_seen WHERE digest = ANY($1::text[])`, [[...new Set(digests)]]);
  }
}
