/**
 * The latest node-agent host facts per node, owned by the scan function (table `scan_host_facts`,
 * migrations in ./migrations, journal table `scan_migrations`). `host.reported` writes here; the
 * posture scan reads it so that a cluster scan evaluates the host controls of every node that has
 * reported. Plain SQL on lib/db (PostgreSQL or PGlite).
 */
import { migrate, migrationsFolderNextTo, type Database } from '../../../lib/db/index.js';
import { parseHostFacts, type HostFacts } from './facts.js';

const migrationsFolder = (): string => migrationsFolderNextTo(import.meta.url);

export interface StoredHostFacts {
  nodeName: string;
  collectedAt: Date;
  facts: HostFacts;
}

export type PutOutcome = 'stored' | 'stale';

export interface HostFactsStore {
  /** Keep these facts unless newer ones (by collection time) are already stored. */
  put(nodeName: string, collectedAt: Date, facts: HostFacts, now: Date): Promise<PutOutcome>;
  /** Facts of the given nodes collected at or after `since` (older facts are not current). */
  list(nodeNames: readonly string[], since: Date): Promise<StoredHostFacts[]>;
  /** Forget facts collected before `before` (nodes that left long ago); returns how many. */
  prune(before: Date): Promise<number>;
}

interface Row {
  node_name: string;
  collected_at: string | Date;
  facts: unknown;
}

export class SqlHostFactsStore implements HostFactsStore {
  private constructor(private readonly db: Database) {}

  static async open(db: Database, folder = migrationsFolder()): Promise<SqlHostFactsStore> {
    await migrate(db, { folder, table: 'scan_migrations' });
    return new SqlHostFactsStore(db);
  }

  async put(nodeName: string, collectedAt: Date, facts: HostFacts, now: Date): Promise<PutOutcome> {
    // Reports can arrive out of order (retries): an older report never replaces a newer one.
    const { rows } = await this.db.query<{ node_name: string }>(
      `INSERT INTO scan_host_facts (node_name, collected_at, received_at, facts)
       VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (node_name) DO UPDATE
         SET collected_at = EXCLUDED.collected_at, received_at = EXCLUDED.received_at, facts = EXCLUDED.facts
         WHERE scan_host_facts.collected_at <= EXCLUDED.collected_at
       RETURNING node_name`,
      [nodeName, collectedAt.toISOString(), now.toISOString(), JSON.stringify(facts)],
    );
    return rows.length === 1 ? 'stored' : 'stale';
  }

  async list(nodeNames: readonly string[], since: Date): Promise<StoredHostFacts[]> {
    if (nodeNames.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT node_name, collected_at, facts FROM scan_host_facts
       WHERE node_name = ANY($1::text[]) AND collected_at >= $2 ORDER BY node_name`,
      [[...nodeNames], since.toISOString()],
    );
    const out: StoredHostFacts[] = [];
    for (const r of rows) {
      const facts = typeof r.facts === 'string' ? (JSON.parse(r.facts) as unknown) : r.facts;
      // Stored rows were validated on the way in; parsing again keeps a hand-edited row from
      // reaching the controls in a shape they do not expect.
      out.push({
        nodeName: r.node_name,
        collectedAt: new Date(r.collected_at),
        facts: parseHostFacts(facts),
      });
    }
    return out;
  }

  async prune(before: Date): Promise<number> {
    const { rows } = await this.db.query<{ node_name: string }>(
      `DELETE FROM scan_host_facts WHERE collected_at < $1 RETURNING node_name`,
      [before.toISOString()],
    );
    return rows.length;
  }
}
