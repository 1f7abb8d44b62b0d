/**
 * The OSV vulnerability database in PostgreSQL (or PGlite): generation-based atomic imports,
 * incremental by `modified`, batched lookups by (ecosystem, name), status.
 *
 * Import path: records stream in and are validated and normalised (../normalize.ts). They are
 * written in batches, each one transaction with one `COPY` per table (./copy.ts). PGlite takes
 * the same COPY text from a Blob.
 */
import { createHash } from 'node:crypto';
import { migrate, migrationsFolderNextTo, type Database, type Queryable } from '../../../../lib/db/index.js';
import { logger } from '../../../../lib/log/index.js';
import type { Severity } from '../cvss.js';
import { normalizePackageName, toRows, type AdvisoryRow, type AffectedRow } from '../normalize.js';
import { OsvRecordSchema, type OsvRange } from '../schema.js';
import {
  copyLine,
  isUniqueViolation,
  jsonbText,
  openBulkLoader,
  pgTextArray,
  type BulkLoader,
} from './copy.js';

const log = logger('vuln.vulndb');

/** Committed migrations next to this file, or beside dist/ when compiled. */
export function vulndbMigrationsFolder(): string {
  return migrationsFolderNextTo(import.meta.url);
}

export type ImportMode = 'full' | 'incremental';

export interface ImportOptions {
  /** full: the new generation holds only the imported records; incremental: current + newer records. */
  mode: ImportMode;
  /** Labels recorded with the generation (ecosystems, URLs). */
  sources?: string[];
  /** Records per INSERT batch. */
  batchSize?: number;
  /** Invalid records are skipped and counted; this many are logged. */
  logInvalid?: number;
}

export interface ImportResult {
  generation: number;
  mode: ImportMode;
  read: number;
  imported: number;
  skippedNotNewer: number;
  invalid: number;
  affectedRows: number;
  contentHash: string;
  durationMs: number;
}

export interface EcosystemStatus {
  ecosystem: string;
  advisories: number;
  affected: number;
}

export interface VulnDbStatus {
  generation: number | null;
  contentHash: string | null;
  builtAt: string | null;
  ageSeconds: number | null;
  advisories: number;
  withdrawn: number;
  ecosystems: EcosystemStatus[];
}

export interface LookupKey {
  ecosystem: string;
  name: string;
}

/** One `vulndb_affected` row as matching needs it. */
export interface AffectedRangeRow {
  /** The generation the row was read from (advisory details must come from the same one). */
  generation: number;
  advisoryId: string;
  ecosystem: string;
  name: string;
  ranges: OsvRange[];
  versions: string[];
  severity: Severity;
  score: number | null;
  vector: string | null;
  fixHint: 'wont-fix' | null;
}

export interface AdvisoryInfo {
  aliases: string[];
  summary: string | null;
  modified: string;
}

export interface AffectedMatchRow extends AffectedRangeRow, AdvisoryInfo {}

export class ConcurrentUpdateError extends Error {
  override name = 'ConcurrentUpdateError';
}

const ADVISORY_COLUMNS = [
  'generation',
  'id',
  'modified',
  'published',
  'withdrawn',
  'summary',
  'aliases',
  'raw',
] as const;
const AFFECTED_COLUMNS = [
  'generation',
  'advisory_id',
  'ecosystem',
  'name',
  'ranges',
  'versions',
  'severity',
  'score',
  'vector',
  'fix_hint',
] as const;

function advisoryCopy(gen: number, records: Iterable<{ advisory: AdvisoryRow }>): string {
  let out = '';
  for (const { advisory: a } of records)
    out += copyLine([
      gen,
      a.id,
      a.modified,
      a.published,
      a.withdrawn,
      a.summary,
      pgTextArray(a.aliases),
      jsonbText(a.raw),
    ]);
  return out;
}

/** Stale `loading` generations (crashed importers) older than this are swept by the next import. */
const STALE_LOADING_MS = 6 * 3600_000;

export class VulnDbStore {
  constructor(readonly db: Database) {}

  static async open(db: Database, folder = vulndbMigrationsFolder()): Promise<VulnDbStore> {
    await migrate(db, { folder, table: 'vulndb_migrations' });
    return new VulnDbStore(db);
  }

  async currentGeneration(q: Queryable = this.db): Promise<number | null> {
    const { rows } = await q.query<{ g: string | number | null }>(
      `SELECT current_generation AS g FROM vulndb_meta WHERE id = 1`,
    );
    const g = rows[0]?.g;
    return g === null || g === undefined ? null : Number(g);
  }

  /** Streams records into a new generation and flips to it atomically. */
  async import(records: AsyncIterable<unknown>, opts: ImportOptions): Promise<ImportResult> {
    const started = Date.now();
    const batchSize = opts.batchSize ?? 1000;
    await this.sweep();
    const base = await this.currentGeneration();
    const { rows } = await this.db.query<{ id: string | number }>(
      `INSERT INTO vulndb_generations (state, mode, base_generation, sources) VALUES ('loading', $1, $2, $3::jsonb) RETURNING id`,
      [opts.mode, base, JSON.stringify(opts.sources ?? [])],
    );
    const gen = Number(rows[0]!.id);
    const result: ImportResult = {
      generation: gen,
      mode: opts.mode,
      read: 0,
      imported: 0,
      skippedNotNewer: 0,
      invalid: 0,
      affectedRows: 0,
      contentHash: '',
      durationMs: 0,
    };
    try {
      if (opts.mode === 'incremental' && base !== null) {
        // Server-side copy: no row leaves the database.
        await this.db.query(
          `INSERT INTO vulndb_advisories (generation, id, modified, published, withdrawn, summary, aliases, raw)
           SELECT $1, id, modified, published, withdrawn, summary, aliases, raw FROM vulndb_advisories WHERE generation = $2`,
          [gen, base],
        );
        await this.db.query(
          `INSERT INTO vulndb_affected (generation, advisory_id, ecosystem, name, ranges, versions, severity, score, vector, fix_hint)
           SELECT $1, advisory_id, ecosystem, name, ranges, versions, severity, score, vector, fix_hint FROM vulndb_affected WHERE generation = $2`,
          [gen, base],
        );
      }
      const loader = await openBulkLoader(this.db);
      try {
        await this.load(gen, records, loader, opts.mode, batchSize, opts.logInvalid ?? 5, result);
      } finally {
        await loader.close();
      }
      result.contentHash = await this.contentHash(gen);
      await this.flip(gen, base, opts.mode, result);
    } catch (e) {
      await this.dropGeneration(gen).catch(() => undefined);
      throw e;
    }
    result.durationMs = Date.now() - started;
    log.info({ ...result }, 'vulnerability database generation activated');
    return result;
  }

  /** Streams, validates and writes the records of one generation in batches. */
  private async load(
    gen: number,
    records: AsyncIterable<unknown>,
    loader: BulkLoader,
    mode: ImportMode,
    batchSize: number,
    logInvalid: number,
    result: ImportResult,
  ): Promise<void> {
    let batch: { advisory: AdvisoryRow; affected: AffectedRow[] }[] = [];
    // One batch is written while the next one is parsed (node CPU and the database overlap);
    // never more than one in flight, so batches apply in order and memory stays bounded.
    let pending: Promise<void> | undefined;
    let failure: unknown;
    const flush = async (b: typeof batch): Promise<void> => {
      await pending;
      if (failure !== undefined) throw failure;
      pending = this.writeBatch(gen, b, loader, mode, result).catch((e: unknown) => {
        failure = e;
      });
    };
    for await (const input of records) {
      result.read++;
      const parsed = OsvRecordSchema.safeParse(input);
      if (!parsed.success) {
        result.invalid++;
        if (result.invalid <= logInvalid)
          log.warn(
            { id: (input as { id?: unknown } | null)?.id, issues: parsed.error.issues.slice(0, 3) },
            'skipping invalid OSV record',
          );
        continue;
      }
      batch.push(toRows(parsed.data));
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await flush(batch);
    await pending;
    if (failure !== undefined) throw failure;
  }

  private async writeBatch(
    gen: number,
    batch: { advisory: AdvisoryRow; affected: AffectedRow[] }[],
    loader: BulkLoader,
    mode: ImportMode,
    result: ImportResult,
  ): Promise<void> {
    // Within a batch keep the newest copy of each id (an advisory can sit in several dumps).
    const byId = new Map<string, { advisory: AdvisoryRow; affected: AffectedRow[] }>();
    for (const r of batch) {
      const prev = byId.get(r.advisory.id);
      if (!prev || Date.parse(r.advisory.modified) > Date.parse(prev.advisory.modified)) {
        if (prev) result.skippedNotNewer++;
        byId.set(r.advisory.id, r);
      } else result.skippedNotNewer++;
    }
    // A full import over the network goes optimistic: the primary key (generation, id) rejects a
    // COPY with an id this generation already holds (the same advisory in two dumps), and only then
    // do we look the ids up. Incremental generations start as a copy of the current one, so there
    // (and on PGlite, where round trips are free) we look them up first.
    let copied = false;
    if (mode === 'full' && !loader.inProcess) {
      try {
        await loader.copyIn('vulndb_advisories', ADVISORY_COLUMNS, advisoryCopy(gen, byId.values()));
        copied = true;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
    }
    if (!copied) {
      await this.dropNotNewer(gen, byId, loader, result);
      if (byId.size === 0) return;
      await loader.copyIn('vulndb_advisories', ADVISORY_COLUMNS, advisoryCopy(gen, byId.values()));
    }
    let aff = '';
    let affected = 0;
    for (const { affected: fs } of byId.values()) {
      for (const f of fs) {
        aff += copyLine([
          gen,
          f.advisoryId,
          f.ecosystem,
          f.name,
          jsonbText(f.ranges),
          pgTextArray(f.versions),
          f.severity,
          f.score,
          f.vector,
          f.fixHint,
        ]);
        affected++;
      }
    }
    if (affected > 0) await loader.copyIn('vulndb_affected', AFFECTED_COLUMNS, aff);
    result.imported += byId.size;
    result.affectedRows += affected;
  }

  /**
   * Removes from `byId` the records this generation already holds in the same or a newer version,
   * and deletes the stored rows of those the batch replaces.
   */
  private async dropNotNewer(
    gen: number,
    byId: Map<string, { advisory: AdvisoryRow }>,
    q: Queryable,
    result: ImportResult,
  ): Promise<void> {
    // One index probe per id, whatever the planner believes about a generation it has no
    // statistics for yet (a hash join over the whole generation per batch would make the import
    // quadratic). OFFSET 0 keeps the LATERAL subquery from being flattened into such a join.
    const { rows } = await q.query<{ id: string; modified: Date | string }>(
      `SELECT a.id, a.modified FROM unnest($2::text[]) AS k(id)
       CROSS JOIN LATERAL (
         SELECT id, modified FROM vulndb_advisories a0 WHERE a0.generation = $1 AND a0.id = k.id OFFSET 0
       ) a`,
      [gen, [...byId.keys()]],
    );
    const replace: string[] = [];
    for (const r of rows) {
      const incoming = byId.get(r.id)!;
      if (new Date(r.modified).getTime() >= Date.parse(incoming.advisory.modified)) {
        byId.delete(r.id);
        result.skippedNotNewer++;
      } else replace.push(r.id);
    }
    if (replace.length === 0) return;
    await q.query(`DELETE FROM vulndb_affected WHERE generation = $1 AND advisory_id = ANY($2::text[])`, [
      gen,
      replace,
    ]);
    await q.query(`DELETE FROM vulndb_advisories WHERE generation = $1 AND id = ANY($2::text[])`, [
      gen,
      replace,
    ]);
  }

  /** Order-independent content version: hash of the sorted (id, modified) list. */
  private async contentHash(gen: number): Promise<string> {
    const { rows } = await this.db.query<{ h: string | null }>(
      `SELECT md5(string_agg(id || '@' || to_char(modified AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), ',' ORDER BY id)) AS h
       FROM vulndb_advisories WHERE generation = $1`,
      [gen],
    );
    return createHash('sha256')
      .update(rows[0]?.h ?? 'empty')
      .digest('hex')
      .slice(0, 32);
  }

  private async flip(
    gen: number,
    base: number | null,
    mode: ImportMode,
    result: ImportResult,
  ): Promise<void> {
    const old = await this.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO vulndb_meta (id) VALUES (1) ON CONFLICT (id) DO NOTHING`);
      const { rows } = await tx.query<{ g: string | number | null }>(
        `SELECT current_generation AS g FROM vulndb_meta WHERE id = 1 FOR UPDATE`,
      );
      const cur = rows[0]?.g === null || rows[0]?.g === undefined ? null : Number(rows[0].g);
      // An incremental generation is current + delta: if someone else flipped meanwhile, our delta
      // was applied to a stale base and would silently drop their records.
      if (mode === 'incremental' && cur !== base)
        throw new ConcurrentUpdateError(
          `vulnerability DB changed during the update (base ${base}, now ${cur})`,
        );
      await tx.query(
        `UPDATE vulndb_generations SET state = 'ready', completed_at = now(), content_hash = $2, record_count = $3 WHERE id = $1`,
        [gen, result.contentHash, result.imported],
      );
      await tx.query(
        `UPDATE vulndb_meta SET current_generation = $1, content_hash = $2, built_at = now() WHERE id = 1`,
        [gen, result.contentHash],
      );
      if (cur !== null)
        await tx.query(`UPDATE vulndb_generations SET state = 'retired' WHERE id = $1`, [cur]);
      return cur;
    });
    // Readers resolve the generation inside each statement, so deleting the old rows now cannot
    // tear a lookup that is already running (its snapshot still sees them).
    if (old !== null) await this.dropGeneration(old);
    // Fresh statistics: right after a bulk load the planner would otherwise guess from the old
    // generation's (or no) statistics.
    await this.db.query(`ANALYZE vulndb_affected`);
    await this.db.query(`ANALYZE vulndb_advisories`);
  }

  private async dropGeneration(gen: number): Promise<void> {
    await this.db.query(`DELETE FROM vulndb_affected WHERE generation = $1`, [gen]);
    await this.db.query(`DELETE FROM vulndb_advisories WHERE generation = $1`, [gen]);
    await this.db.query(`DELETE FROM vulndb_generations WHERE id = $1 AND state <> 'ready'`, [gen]);
  }

  /** Removes leftovers of crashed imports (stale `loading`) and retired generations. */
  private async sweep(): Promise<void> {
    const { rows } = await this.db.query<{ id: string | number }>(
      `SELECT id FROM vulndb_generations
       WHERE state = 'retired' OR (state = 'loading' AND created_at < now() - make_interval(secs => $1))`,
      [STALE_LOADING_MS / 1000],
    );
    for (const r of rows) await this.dropGeneration(Number(r.id));
  }

  /**
   * The affected rows for the given (ecosystem, name) keys, in ONE statement over the narrow
   * `vulndb_affected` table: one index probe per key (LATERAL), no join. The current generation is
   * resolved inside the statement and returned with each row. Advisory details (aliases, summary,
   * withdrawn) are fetched afterwards, only for the rows that actually match (`advisories`).
   * Names are normalised as at import.
   */
  async lookupAffected(keys: readonly LookupKey[]): Promise<AffectedRangeRow[]> {
    if (keys.length === 0) return [];
    const seen = new Set<string>();
    const ecos: string[] = [];
    const names: string[] = [];
    for (const k of keys) {
      const name = normalizePackageName(k.ecosystem, k.name);
      const key = `${k.ecosystem}\u0000${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ecos.push(k.ecosystem);
      names.push(name);
    }
    const { rows } = await this.db.query<{
      generation: string | number;
      advisory_id: string;
      ecosystem: string;
      name: string;
      ranges: OsvRange[];
      versions: string[];
      severity: Severity;
      score: number | null;
      vector: string | null;
      fix_hint: 'wont-fix' | null;
    }>(
      `SELECT f.generation, f.advisory_id, f.ecosystem, f.name, f.ranges, f.versions, f.severity, f.score, f.vector, f.fix_hint
       FROM (SELECT current_generation AS g FROM vulndb_meta WHERE id = 1) cur
       CROSS JOIN unnest($1::text[], $2::text[]) AS k(ecosystem, name)
       -- LATERAL + OFFSET 0 (no flattening) forces one index probe per key whatever the
       -- statistics say: a hash join over the whole generation is never the right plan for a few
       -- thousand keys.
       CROSS JOIN LATERAL (
         SELECT * FROM vulndb_affected f0
         WHERE f0.generation = cur.g AND f0.ecosystem = k.ecosystem AND f0.name = k.name
         OFFSET 0
       ) f`,
      [ecos, names],
    );
    return rows.map((r) => ({
      generation: Number(r.generation),
      advisoryId: r.advisory_id,
      ecosystem: r.ecosystem,
      name: r.name,
      ranges: r.ranges,
      versions: r.versions,
      severity: r.severity,
      score: r.score === null ? null : Number(r.score),
      vector: r.vector,
      fixHint: r.fix_hint,
    }));
  }

  /**
   * Aliases, summary and modification time of the given advisories of one generation. Withdrawn
   * advisories (withdrawn time passed) are left out, so the caller drops their matches.
   */
  async advisories(generation: number, ids: readonly string[]): Promise<Map<string, AdvisoryInfo>> {
    const out = new Map<string, AdvisoryInfo>();
    if (ids.length === 0) return out;
    const { rows } = await this.db.query<{
      id: string;
      aliases: string[];
      summary: string | null;
      modified: Date | string;
    }>(
      `SELECT id, aliases, summary, modified FROM vulndb_advisories
       WHERE generation = $1 AND id = ANY($2::text[]) AND (withdrawn IS NULL OR withdrawn > now())`,
      [generation, [...new Set(ids)]],
    );
    for (const r of rows)
      out.set(r.id, { aliases: r.aliases, summary: r.summary, modified: new Date(r.modified).toISOString() });
    return out;
  }

  /** Every non-withdrawn affected row for the keys, with its advisory's details. */
  async lookup(keys: readonly LookupKey[]): Promise<AffectedMatchRow[]> {
    const rows = await this.lookupAffected(keys);
    const byGeneration = new Map<number, string[]>();
    for (const r of rows)
      byGeneration.set(r.generation, [...(byGeneration.get(r.generation) ?? []), r.advisoryId]);
    const infos = new Map<number, Map<string, AdvisoryInfo>>();
    for (const [g, ids] of byGeneration) infos.set(g, await this.advisories(g, ids));
    return rows.flatMap((r) => {
      const info = infos.get(r.generation)?.get(r.advisoryId);
      return info ? [{ ...r, ...info }] : [];
    });
  }

  async status(now: Date = new Date()): Promise<VulnDbStatus> {
    const { rows: meta } = await this.db.query<{
      g: string | number | null;
      h: string | null;
      b: Date | string | null;
    }>(`SELECT current_generation AS g, content_hash AS h, built_at AS b FROM vulndb_meta WHERE id = 1`);
    const m = meta[0];
    if (!m || m.g === null)
      return {
        generation: null,
        contentHash: null,
        builtAt: null,
        ageSeconds: null,
        advisories: 0,
        withdrawn: 0,
        ecosystems: [],
      };
    const gen = Number(m.g);
    const { rows: totals } = await this.db.query<{ n: string | number; w: string | number }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE withdrawn IS NOT NULL AND withdrawn <= now()) AS w FROM vulndb_advisories WHERE generation = $1`,
      [gen],
    );
    const { rows: ecos } = await this.db.query<{
      ecosystem: string;
      advisories: string | number;
      affected: string | number;
    }>(
      `SELECT ecosystem, count(DISTINCT advisory_id) AS advisories, count(*) AS affected
       FROM vulndb_affected WHERE generation = $1 GROUP BY ecosystem ORDER BY ecosystem`,
      [gen],
    );
    const builtAt = m.b ? new Date(m.b) : null;
    return {
      generation: gen,
      contentHash: m.h,
      builtAt: builtAt?.toISOString() ?? null,
      ageSeconds: builtAt ? Math.max(0, Math.round((now.getTime() - builtAt.getTime()) / 1000)) : null,
      advisories: Number(totals[0]?.n ?? 0),
      withdrawn: Number(totals[0]?.w ?? 0),
      ecosystems: ecos.map((e) => ({
        ecosystem: e.ecosystem,
        advisories: Number(e.advisories),
        affected: Number(e.affected),
      })),
    };
  }
}
