/**
 * `kscape function <name>`: one function host, as each Knative Service runs it. `runFunction`
 * starts telemetry (when OTEL_* asks for it) before loading the function, so HTTP and pg
 * instrumentation see every request, and drains on SIGTERM.
 */
import { UsageError } from '../errors.js';

export async function runFunction(name: string): Promise<void> {
  const { HOSTED_FUNCTIONS, hostingOf, isHostedFunction } = await import('../../functions/registry.js');
  if (!isHostedFunction(name)) throw new UsageError(`unknown function ${JSON.stringify(name)}; expected one of ${HOSTED_FUNCTIONS.join(', ')}`);
  const hosting = hostingOf(name);
  if (hosting.kind === 'http') {
    await runHttpService(name, hosting.serve);
    return;
  }
  const runtime = await import('../../functions/runtime/serve.js');
  await runtime.runFunction(name, () => hosting.load());
}

/** An HTTP service (control: the provider's signed commands) serves its own routes, not CloudEvents. */
async function runHttpService(name: string, serve: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  const [{ startTelemetry }, { logger }] = await Promise.all([import('../../lib/telemetry/index.js'), import('../../lib/log/index.js')]);
  const telemetry = await startTelemetry(`kscape-${name}`);
  const served = await serve();
  const log = logger(name);
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'shutting down');
      served
        .close()
        .then(() => telemetry.shutdown())
        .then(done, (e: unknown) => {
          log.error({ err: e }, 'error during shutdown');
          process.exitCode = 1;
          done();
        });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
