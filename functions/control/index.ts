/**
 * Serving the control function. It is an HTTP API, not a CloudEvents consumer, so it does not go
 * through the function host's `createFunctionApp` (which has no way to add routes); it serves its
 * own hono app with the same health endpoints and the same runtime configuration (PORT, HOST,
 * K_SINK, KSCAPE_EMIT_TIMEOUT, K_CE_OVERRIDES).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Env } from '../../lib/config/env.js';
import { openDatabase, type Database } from '../../lib/db/index.js';
import { loadKubeAccess } from '../../lib/kube/access.js';
import { kubeHttp } from '../../lib/kube/http.js';
import { logger, type Logger } from '../../lib/log/index.js';
import { parseSecrets } from '../../lib/webhooks/index.js';
import { loadRuntimeConfig } from '../runtime/config.js';
import { SinkClient } from '../runtime/emit.js';
import { createControlApp, type EventSink } from './app.js';
import { loadControlConfig } from './config.js';
import { kubeControl, type ControlKube } from './kube.js';
import { SqlControlStore } from './store/index.js';

export { createControlApp, type ControlAppOptions, type EventSink } from './app.js';
export { MemoryControlKube, kubeControl, type ControlKube } from './kube.js';
export { SqlControlStore, type ControlStore } from './store/index.js';

export interface ServeControlOptions {
  env?: Env;
  port?: number;
  host?: string;
  /** Shared database (dev mode); otherwise opened from DATABASE_URL (PGlite when unset) and closed on close(). */
  database?: Database;
  kube?: ControlKube;
  sink?: EventSink;
  log?: Logger;
  now?: () => Date;
}

export interface ServedControl {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function serveControl(opts: ServeControlOptions = {}): Promise<ServedControl> {
  const env = opts.env ?? process.env;
  const rt = loadRuntimeConfig(env);
  const cfg = loadControlConfig(env);
  const log = opts.log ?? logger('control');
  const secrets = parseSecrets(cfg.KSCAPE_PROVIDER_SECRET);
  if (secrets.length === 0)
    log.warn('KSCAPE_PROVIDER_SECRET is not set: every signed command is rejected (401)');
  if (!cfg.KSCAPE_OPERATOR_API_TOKEN)
    log.info('KSCAPE_OPERATOR_API_TOKEN is not set: POST /v1/triggerAction is disabled (404)');
  const ownsDb = !opts.database;
  const db = opts.database ?? (await openDatabase({ applicationName: 'kscape-control' }));
  const store = await SqlControlStore.open(db);
  const sink =
    opts.sink ??
    new SinkClient({ url: rt.K_SINK, timeoutMs: rt.KSCAPE_EMIT_TIMEOUT, overrides: rt.K_CE_OVERRIDES });
  let kube = opts.kube;
  const lazyKube: ControlKube = {
    setPingSchedule: (ns, name, s) =>
      (kube ??= kubeControl(kubeHttp(() => loadKubeAccess()))).setPingSchedule(ns, name, s),
    setExceptions: (ns, p) => (kube ??= kubeControl(kubeHttp(() => loadKubeAccess()))).setExceptions(ns, p),
  };
  const app = createControlApp({
    secrets,
    operatorToken: cfg.KSCAPE_OPERATOR_API_TOKEN,
    namespace: cfg.KSCAPE_NAMESPACE,
    maxBodyBytes: cfg.KSCAPE_CONTROL_MAX_BODY_BYTES,
    store,
    sink,
    kube: lazyKube,
    log,
    ...(opts.now ? { now: opts.now } : {}),
    ready: async () => {
      await db.query('SELECT 1');
    },
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.requestTimeout = 60_000;
  const port = opts.port ?? rt.PORT;
  const hostname = opts.host ?? rt.HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (hostname) server.listen(port, hostname, done);
    else server.listen(port, done);
  });
  const addr = server.address() as AddressInfo;
  const h =
    addr.family === 'IPv6'
      ? addr.address === '::'
        ? '[::1]'
        : `[${addr.address}]`
      : addr.address === '0.0.0.0'
        ? '127.0.0.1'
        : addr.address;
  log.info({ port: addr.port }, 'control listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${h}:${addr.port}`,
    port: addr.port,
    server,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeIdleConnections();
        });
        if (ownsDb) await db.close();
      })()),
  };
}
