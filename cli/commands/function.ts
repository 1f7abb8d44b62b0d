/**
 * `kscape function <name>`: one function host, as each Knative Service runs it. `runFunction`
 * starts telemetry (when OTEL_* asks for it) before loading the function, so HTTP and pg
 * instrumentation see every request, and drains on SIGTERM.
 */
import { UsageError } from '../errors.js';

export async function runFunction(name: string): Promise<void> {
  const { HOSTED_FUNCTIONS, isHostedFunction, loadFunction } = await import('../../functions/registry.js');
  if (!isHostedFunction(name)) throw new UsageError(`unknown function ${JSON.stringify(name)}; expected one of ${HOSTED_FUNCTIONS.join(', ')}`);
  const runtime = await import('../../functions/runtime/serve.js');
  await runtime.runFunction(name, () => loadFunction(name));
}
