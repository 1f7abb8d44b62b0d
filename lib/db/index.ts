export { openDatabase, nonOwning, pgListenerOf, pgliteOf } from './database.js';
export type { Database, DrizzleDb, ListenOptions, OpenDatabaseOptions, Queryable, QueryResult, Row, Unlisten } from './database.js';
export { migrate, migrationsFolderNextTo, readMigrations } from './migrate.js';
export type { MigrateOptions, MigrateResult, MigrationFile } from './migrate.js';
export { DatabaseUnavailableError, DatabaseTimeoutError, isUnavailable, mapDatabaseError } from './errors.js';
export { dbConfigSpec, loadDbConfig } from './config.js';
export type { DbConfig } from './config.js';
