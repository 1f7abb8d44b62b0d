/**
 * `kscape function <name>`: one function host, as each Knative Service runs it. `runFunction`
 * starts telemetry (when OTEL_* asks for it) before loading the function, so HTTP and pg
 * instrumentation see every request, and drains on SIGTERM.
 */
import { UsageError } from '../errors.js';

export async function runFunction(name: string): Promise<void> {
  const { HOSTED_FUNCTIONS, isHostedFunction, loadFunction } = await import('../../functions/registry.js');
  if (!isHostedFunction(name)) throw new UsageError(`unknown function ${JSON.stringify(name)}; expected one of ${HOSTED_FUNCTIONS.join(', ')}`);
  if (name === 'control') {
    await runControl();
    return;
  }
  const runtime = await import('../../functions/runtime/serve.js');
  await runtime.runFunction(name, () => loadFunction(name));
}

/** control is the provider's HTTP door (signed commands), not a CloudEvents consumer: it serves its own routes. */
async function runControl(): Promise<void> {
  const [{ serveControl }, { startTelemetry }, { logger }] = await Promise.all([
    import('../../functions/control/index.js'),
    import('../../lib/telemetry/index.js'),
    import('../../lib/log/index.js'),
  ]);
  const telemetry = await startTelemetry('kscape-control');
  const served = await serveControl();
  const log = logger('control');
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
