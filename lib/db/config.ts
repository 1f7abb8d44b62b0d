/**
 * Database connection configuration, shared by every component that opens a database.
 *
 * DATABASE_URL selects the driver: set → `pg` against that server; unset → embedded PGlite
 * (in-memory unless KSCAPE_DB_DATA_DIR or an explicit `dataDir` asks for persistence, as the
 * dev mode does with `.kscape/pgdata`).
 */
import { duration, int, loadConfig, optionalStr, optionalUrl, type ConfigOf, type Env } from '../config/env.js';

export const dbConfigSpec = {
  DATABASE_URL: optionalUrl({
    doc: 'PostgreSQL connection URL. Unset: embedded PGlite (dev, tests, demo).',
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
  }),
  KSCAPE_DB_DATA_DIR: optionalStr({
    doc: 'PGlite data directory when DATABASE_URL is unset. Unset: in-memory (lost on exit).',
  }),
  KSCAPE_DB_POOL_MAX: int({
    doc: 'Maximum connections in the pg pool (per process). LISTEN uses one more, dedicated connection.',
    default: 10,
    min: 1,
    max: 1000,
  }),
  KSCAPE_DB_STATEMENT_TIMEOUT: duration({
    doc: 'Server-side statement_timeout for pool connections; a statement running longer fails with DatabaseTimeoutError.',
    default: 30_000,
    minMs: 0,
  }),
  KSCAPE_DB_CONNECT_TIMEOUT: duration({
    doc: 'How long to wait for a new connection (TCP + startup) before failing with DatabaseUnavailableError.',
    default: 5_000,
    minMs: 100,
  }),
  KSCAPE_DB_IDLE_TIMEOUT: duration({
    doc: 'Close pool connections idle for longer than this.',
    default: 30_000,
    minMs: 0,
  }),
} as const;

export type DbConfig = ConfigOf<typeof dbConfigSpec>;

export function loadDbConfig(env: Env = process.env): DbConfig {
  return loadConfig(dbConfigSpec, env);
}
