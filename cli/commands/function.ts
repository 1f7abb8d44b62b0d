/**
 * `kscape function <name>`: one function host, as each Knative Service runs it. Telemetry starts
 * first (when OTEL_* asks for it) so HTTP and pg instrumentation see every request.
 */
import { UsageError } from '../errors.js';

export async function runFunction(name: string): Promise<void> {
  const { HOSTED_FUNCTIONS, isHostedFunction, loadFunction } = await import('../../functions/registry.js');
  if (!isHostedFunction(name)) throw new UsageError(`unknown function ${JSON.stringify(name)}; expected one of ${HOSTED_FUNCTIONS.join(', ')}`);
  const { serveFunction } = await import('../../functions/runtime/serve.js');
  const def = await loadFunction(name);
  await serveFunction(def, { handleSignals: true });
}
