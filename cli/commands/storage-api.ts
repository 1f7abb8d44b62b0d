/**
 * `kscape storage-api`: the aggregated API server, as the storage-api Deployment runs it. Flags win
 * over the KSCAPE_STORAGE_* / KSCAPE_SANDBOX* environment variables; SIGTERM drains and exits.
 */
import { logger } from '../../lib/log/index.js';

export async function runStorageApi(opts: Record<string, unknown>): Promise<void> {
  const { startStorageServer } = await import('../../storage-api/server.js');
  const overrides: Record<string, unknown> = {};
  if (opts.insecureLocal === true) overrides.insecureLocal = true;
  if (opts.sandbox === true) overrides.sandbox = true;
  if (typeof opts.seed === 'string') overrides.seedDir = opts.seed;
  const server = await startStorageServer(overrides);
  const log = logger('storage-api');
  log.info({ url: server.url }, 'storage-api ready');
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'shutting down');
      server.close().then(done, (e: unknown) => {
        log.error({ err: e }, 'error during shutdown');
        process.exitCode = 1;
        done();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
