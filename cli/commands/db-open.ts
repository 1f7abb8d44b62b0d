/**
 * Shared set-up of the image commands (`kscape sbom`, `kscape vuln`, `kscape db`): logs to stderr
 * (stdout carries the SBOM, report or table), and the vulnerability database — `DATABASE_URL` when
 * set, else an embedded PGlite database under `$KSCAPE_HOME/vulndb` (default `~/.kscape/vulndb`).
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VulnDbStore } from '../../functions/vuln/osv/store/index.js';
import type { Database } from '../../lib/db/index.js';

/** Route logs to stderr at `error` (unless LOG_LEVEL says otherwise): the commands print their own progress and outcome. Call before importing the vuln modules: they bind their logger at import. */
export async function logToStderr(): Promise<void> {
  process.env.LOG_LEVEL ??= 'error';
  const [{ createLogger, setRootLogger }, { destination }] = await Promise.all([import('../../lib/log/index.js'), import('pino')]);
  setRootLogger(createLogger(destination(2)));
}

export function kscapeHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.KSCAPE_HOME || join(homedir(), '.kscape'));
}

export interface CliVulnDb {
  store: VulnDbStore;
  /** Where the DB lives, for messages (the URL without credentials, or the PGlite directory). */
  where: string;
  close(): Promise<void>;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

export async function openCliVulnDb(env: NodeJS.ProcessEnv = process.env): Promise<CliVulnDb> {
  const [{ openDatabase }, { VulnDbStore }] = await Promise.all([import('../../lib/db/index.js'), import('../../functions/vuln/osv/store/index.js')]);
  let db: Database;
  let where: string;
  if (env.DATABASE_URL) {
    db = await openDatabase({ url: env.DATABASE_URL, applicationName: 'kscape-cli' });
    where = redact(env.DATABASE_URL);
  } else {
    const dir = join(kscapeHome(env), 'vulndb');
    mkdirSync(dir, { recursive: true });
    db = await openDatabase({ url: '', dataDir: dir, applicationName: 'kscape-cli' });
    where = dir;
  }
  try {
    const store = await VulnDbStore.open(db);
    return { store, where, close: () => db.close() };
  } catch (e) {
    await db.close();
    throw e;
  }
}
