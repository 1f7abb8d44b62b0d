/**
 * Serving a function over HTTP with Knative's lifecycle: listen on PORT, answer probes, and on
 * SIGTERM drain (readiness 503, no new connections, in-flight requests finish) before closing the
 * function and exiting.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { ConfigError } from '../../lib/config/env.js';
import { logger } from '../../lib/log/index.js';
import { startTelemetry } from '../../lib/telemetry/index.js';
import { createFunctionApp, functionHost, type FunctionAppOptions, type HostedFunction } from './host.js';
import { functionRequestListener } from './listener.js';

export interface ServeOptions extends FunctionAppOptions {
  /** Overrides PORT; 0 picks a free port (tests). */
  port?: number;
  /** Overrides HOST. */
  host?: string;
  /**
   * Install SIGTERM/SIGINT handlers that shut down gracefully and then exit the process.
   * Off by default so tests and embedding hosts keep control of the process.
   */
  handleSignals?: boolean | { signals?: NodeJS.Signals[]; exit?: boolean };
  /** Answer binary-mode events on the node:http fast path (default true; listener.ts). */
  fastPath?: boolean;
}

export interface ServedFunction {
  url: string;
  port: number;
  server: Server;
  /** Graceful shutdown: stop accepting, drain in-flight requests (bounded), then def.close(). */
  close(): Promise<void>;
}

export async function serveFunction(def: HostedFunction, opts: ServeOptions = {}): Promise<ServedFunction> {
  const app = createFunctionApp(def, opts);
  const host = functionHost(app);
  const { config, log } = host;
  const server = createServer(functionRequestListener(app, { fastPath: opts.fastPath !== false }));
  // Knative's queue-proxy keeps connections open; let it, but do not let idle sockets pin shutdown.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Large events are bounded by KSCAPE_MAX_BODY_BYTES; a slow client must not hold a socket forever.
  server.requestTimeout = config.KSCAPE_HANDLER_TIMEOUT + 60_000;

  const port = opts.port ?? config.PORT;
  const hostname = opts.host ?? config.HOST;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (hostname) server.listen(port, hostname, done);
    else server.listen(port, done);
  });
  server.on('error', (e) => log.error({ err: e }, 'server error'));
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? (addr.address === '::' ? '[::1]' : `[${addr.address}]`) : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
  const url = `http://${urlHost}:${addr.port}`;
  log.info({ port: addr.port, host: addr.address }, `function ${def.name} listening`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const t0 = Date.now();
      host.drain();
      log.info({ inflight: host.inflight, timeoutMs: config.KSCAPE_SHUTDOWN_TIMEOUT }, 'shutting down: draining in-flight requests');
      const serverClosed = new Promise<void>((r) => server.close(() => r()));
      // Idle keep-alive sockets would otherwise hold server.close() open until they time out.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), config.KSCAPE_SHUTDOWN_TIMEOUT);
      });
      const drained = await Promise.race([Promise.all([host.idle(), serverClosed]).then(() => 'drained' as const), deadline]);
      if (drained === 'timeout') {
        log.warn({ inflight: host.inflight }, 'shutdown timeout: aborting in-flight requests');
        host.abortAll();
        // Give aborted requests a moment to answer 503 (the broker then retries) before cutting sockets.
        // Draining responses carry `Connection: close`, so the server closes once they are written.
        await Promise.race([serverClosed, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      clearTimeout(timer);
      clearInterval(sweep);
      server.closeAllConnections();
      await serverClosed;
      await host.closeFunction();
      log.info({ ms: Date.now() - t0 }, 'shut down');
    })());

  const sig = opts.handleSignals;
  if (sig) {
    const signals = (typeof sig === 'object' && sig.signals) || (['SIGTERM', 'SIGINT'] as NodeJS.Signals[]);
    const exit = typeof sig === 'object' ? sig.exit !== false : true;
    const onSignal = (s: NodeJS.Signals): void => {
      log.info({ signal: s }, 'signal received');
      for (const x of signals) process.off(x, onSignal);
      void close().then(
        () => exit && process.exit(0),
        (e: unknown) => {
          log.error({ err: e }, 'shutdown failed');
          if (exit) process.exit(1);
        },
      );
    };
    for (const s of signals) process.on(s, onSignal);
  }

  return { url, port: addr.port, server, close };
}

/**
 * Entry point for a function container: configuration errors are printed as one readable message
 * and exit 1; telemetry starts before the function's modules load so they can be instrumented.
 */
export async function runFunction(name: string, load: () => Promise<HostedFunction>): Promise<ServedFunction> {
  const log = logger('function-host', { function: name });
  try {
    const telemetry = await startTelemetry(`kscape-${name}`);
    const def = await load();
    const served = await serveFunction(def);
    const shutdown = async (code: number): Promise<void> => {
      await served.close();
      await telemetry.shutdown();
      process.exit(code);
    };
    const onSignal = (s: NodeJS.Signals): void => {
      log.info({ signal: s }, 'signal received');
      void shutdown(0).catch(() => process.exit(1));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    return served;
  } catch (e) {
    if (e instanceof ConfigError) {
      log.fatal(e.message);
    } else {
      log.fatal({ err: e }, 'function failed to start');
    }
    process.exit(1);
  }
}
