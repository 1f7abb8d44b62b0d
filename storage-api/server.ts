/**
 * storage-api process wiring: database → store → registry → auth → engine → HTTP(S) server.
 *
 *   const api = await startStorageServer();                       // everything from the environment
 *   const api = await startStorageServer({ insecureLocal: true, port: 0, sandbox: true });
 *   ... api.url ... await api.close();
 *
 * Secure by default: HTTPS with delegated authentication and authorization (storage-api/auth).
 * The insecure local mode (plain HTTP, 127.0.0.1 only, no auth) exists for development and tests,
 * must be asked for explicitly, and says so loudly in the log.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { logger, type Logger } from '../lib/log/index.js';
import { openDatabase, type Database } from '../lib/db/index.js';
import { createAuth, authOptionsFromEnv, type AuthOptions, type CreateAuthDeps, type StorageAuth } from './auth/index.js';
import { loadStorageApiConfig, type StorageApiConfig } from './config.js';
import { createStorageEngine, type EngineConfig, type StorageEngine } from './engine/index.js';
import { builtinResources, findByKind, kubescapeResources, loadManifests, resourceKey } from './registry/index.js';
import type { ResourceDefinition } from './registry/types.js';
import { AlreadyExistsError, createPostgresStore, type Store, type StoreConfig } from './store/index.js';

export interface StorageServerOptions {
  insecureLocal: boolean;
  /** 0 = any free port. */
  port: number;
  /** HTTPS bind address; insecure local mode always binds 127.0.0.1. */
  host: string;
  sandbox: boolean;
  seedDir?: string;
  /** postgres:// URL; default DATABASE_URL; unset = PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (persistent dev state); default KSCAPE_DB_DATA_DIR, else in-memory. */
  dataDir?: string;
  /** Use this already-open database instead of opening one (tests; two servers on one database). Not closed by close(). */
  database?: Database;
  /** Store overrides, e.g. `KSCAPE_STORAGE_EVENT_RETENTION` (the compaction window). */
  store?: Partial<StoreConfig>;
  engine?: Partial<EngineConfig>;
  shutdownTimeoutMs: number;
  logger?: Logger;
  /**
   * Delegated authentication/authorization settings instead of the environment's
   * (`authOptionsFromEnv()` and the resolved kubeconfig): tests point them at a fake kube-apiserver.
   */
  auth?: { options?: AuthOptions; deps?: CreateAuthDeps };
}

export interface StorageServer {
  url: string;
  port: number;
  store: Store;
  engine: StorageEngine;
  close(): Promise<void>;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    /* from dist/ the path is one level deeper */
  }
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function optionsFromConfig(c: StorageApiConfig): StorageServerOptions {
  return {
    insecureLocal: c.KSCAPE_STORAGE_INSECURE_LOCAL,
    port: c.PORT,
    host: c.KSCAPE_STORAGE_BIND_ADDRESS,
    sandbox: c.KSCAPE_SANDBOX,
    ...(c.KSCAPE_SANDBOX_SEED_DIR ? { seedDir: c.KSCAPE_SANDBOX_SEED_DIR } : {}),
    shutdownTimeoutMs: c.KSCAPE_STORAGE_SHUTDOWN_TIMEOUT,
    engine: {
      requestTimeoutMs: c.KSCAPE_STORAGE_REQUEST_TIMEOUT,
      maxRequestsInflight: c.KSCAPE_STORAGE_MAX_REQUESTS_INFLIGHT,
      maxMutatingRequestsInflight: c.KSCAPE_STORAGE_MAX_MUTATING_REQUESTS_INFLIGHT,
      defaultMaxBodyBytes: c.KSCAPE_STORAGE_MAX_BODY_BYTES,
      minWatchTimeoutMs: c.KSCAPE_STORAGE_MIN_WATCH_TIMEOUT,
      maxWatchTimeoutMs: c.KSCAPE_STORAGE_MAX_WATCH_TIMEOUT,
      bookmarkIntervalMs: c.KSCAPE_STORAGE_BOOKMARK_INTERVAL,
    },
  };
}

/**
 * Create the sandbox seed objects that do not exist yet. Sandbox kinds are schema-less, so this
 * goes to the store directly with the metadata the engine would fill in.
 */
async function seed(store: Store, defs: ResourceDefinition[], dir: string, log: Logger): Promise<void> {
  const files = await loadManifests(dir);
  let created = 0;
  for (const { file, objects } of files)
    for (const obj of objects) {
      const def = findByKind(defs, obj.apiVersion, obj.kind);
      if (!def || def.virtual) {
        log.warn({ file, apiVersion: obj.apiVersion, kind: obj.kind }, 'seed: kind not served, skipped');
        continue;
      }
      const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
      const namespace = def.namespaced ? String(metadata.namespace ?? 'default') : '';
      const uid = randomUUID();
      const meta = {
        ...metadata,
        ...(namespace ? { namespace } : {}),
        uid,
        creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        generation: 1,
      };
      delete (meta as Record<string, unknown>).resourceVersion;
      try {
        await store.create({
          resource: resourceKey(def),
          namespace,
          name: metadata.name,
          uid,
          metadata: meta,
          body: JSON.stringify(rest),
          ...(def.summarize ? { summary: def.summarize(obj) } : {}),
        });
        created++;
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e;
      }
    }
  log.info({ dir, created }, 'sandbox seeded');
}

export async function startStorageServer(overrides: Partial<StorageServerOptions> = {}): Promise<StorageServer> {
  const base = optionsFromConfig(loadStorageApiConfig());
  const o: StorageServerOptions = { ...base, ...overrides, engine: { ...base.engine, ...overrides.engine } };
  const log = o.logger ?? logger('storage-api');
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (e) {
        log.warn({ err: e }, 'error during shutdown');
      }
    }
  };
  try {
    const db =
      o.database ??
      (await openDatabase({
        ...(o.databaseUrl !== undefined ? { url: o.databaseUrl } : {}),
        ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
        applicationName: 'kscape-storage-api',
      }));
    if (!o.database) closers.push(() => db.close());
    const store = await createPostgresStore(db, { ...(o.store ? { config: o.store } : {}) });
    closers.push(() => store.close());

    const defs = o.sandbox ? [...kubescapeResources(), ...builtinResources()] : kubescapeResources();
    if (o.sandbox && o.seedDir) await seed(store, defs, o.seedDir, log);

    let auth: StorageAuth | undefined;
    if (!o.insecureLocal) {
      auth = await createAuth(o.auth?.options ?? authOptionsFromEnv(), o.auth?.deps);
      closers.push(() => auth!.close());
    }
    const engine = createStorageEngine({
      store,
      resources: defs,
      ...(auth ? { authenticator: auth.authenticator, authorizer: auth.authorizer } : {}),
      config: { ...o.engine, version: { gitVersion: `v${packageVersion()}` } },
      logger: log,
    });
    closers.push(() => engine.close());

    let server: Server;
    let host: string;
    if (o.insecureLocal) {
      host = '127.0.0.1';
      server = createHttpServer(engine);
      log.warn(
        'INSECURE LOCAL MODE: plain HTTP on 127.0.0.1 with NO authentication and NO authorization. Development only; never expose this port.',
      );
    } else {
      host = o.host;
      const https = createHttpsServer(auth!.tls, engine);
      auth!.attachServer(https);
      server = https;
    }
    // Watches are long-lived: the default 5 s keep-alive and request timeouts must not cut them;
    // the engine bounds every request itself.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Requests still running after the grace period are cut.
          setTimeout(() => {
            server.closeAllConnections();
            resolve();
          }, o.shutdownTimeoutMs).unref();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const url = `${o.insecureLocal ? 'http' : 'https'}://${host.includes(':') ? `[${host === '::' ? '::1' : host}]` : host}:${port}`;
    log.info({ url, sandbox: o.sandbox, kinds: defs.length }, 'storage-api listening');
    let closed: Promise<void> | undefined;
    return {
      url,
      port,
      store,
      engine,
      // Order: stop watches and accepting (engine, then server), then store, then database.
      close: () => (closed ??= closeAll()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** `node dist/storage-api/server.js [--insecure-local] [--sandbox] [--seed DIR]` */
async function main(argv: string[]): Promise<void> {
  const log = logger('storage-api');
  const seedIdx = argv.indexOf('--seed');
  const server = await startStorageServer({
    ...(argv.includes('--insecure-local') ? { insecureLocal: true } : {}),
    ...(argv.includes('--sandbox') ? { sandbox: true } : {}),
    ...(seedIdx >= 0 && argv[seedIdx + 1] ? { seedDir: argv[seedIdx + 1] } : {}),
  });
  const stop = (sig: string): void => {
    log.info({ signal: sig }, 'shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    logger('storage-api').fatal({ err: e }, 'storage-api failed to start');
    process.exit(1);
  });
}
