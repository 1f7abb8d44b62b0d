export * from './types.js';
export { createPostgresStore, PostgresStore, TooLargeResourceVersionError, storeMigrationsFolder, STORE_MIGRATIONS_TABLE } from './postgres-store.js';
export type { PostgresStoreOptions } from './postgres-store.js';
export { WatchOverflowError } from './watch.js';
export { storeConfigSpec, loadStoreConfig } from './config.js';
export type { StoreConfig } from './config.js';
