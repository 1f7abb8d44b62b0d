/**
 * Name → function definition, loaded lazily so `kscape function <name>` imports only that function.
 *
 * Capabilities whose issues have not landed yet are registered with `pending()`: they accept their
 * catalog types (so Triggers, validation and routing are exercised end to end) and answer 400 with
 * a problem body naming what is missing. Knative does not retry a 400, so the event lands in the
 * dead-letter sink with that reason instead of being retried or silently dropped.
 */
import type { Database } from '../lib/db/index.js';
import { FUNCTION_ROUTES, type FunctionName } from '../lib/events/index.js';
import { PermanentError } from './runtime/errors.js';
import type { HostedFunction } from './runtime/host.js';
import type { FunctionDefinition } from './runtime/types.js';

export type HostedFunctionName = FunctionName | 'deadletter';

function pending(name: FunctionName, what: string): FunctionDefinition {
  return {
    name,
    consumes: FUNCTION_ROUTES[name].consumes,
    async handle(event) {
      throw new PermanentError(`${what} is not available in this version of kscape; event ${event.type} cannot be processed`);
    },
  };
}

/** Resources a host process may share between the functions it runs (dev mode: one embedded database). */
export interface SharedResources {
  database?: Database;
}

const LOADERS: Record<HostedFunctionName, (shared: SharedResources) => Promise<HostedFunction>> = {
  schedule: async (shared) => (await import('./schedule/index.js')).createScheduleFunction({ ...(shared.database ? { database: shared.database } : {}) }),
  scan: async () => (await import('./scan/function.js')).createScanFunction(),
  vuln: async (shared) => (await import('./vuln/function.js')).createVulnFunction({ ...(shared.database ? { database: shared.database } : {}) }),
  export: async () => (await import('./export/index.js')).createExportFunction(),
  control: async () => pending('control', 'provider command intake (control function)'),
  deadletter: async () => (await import('./deadletter/index.js')).createDeadLetterFunction(),
};

export const HOSTED_FUNCTIONS = Object.keys(LOADERS) as HostedFunctionName[];

export function isHostedFunction(name: string): name is HostedFunctionName {
  return Object.prototype.hasOwnProperty.call(LOADERS, name);
}

export async function loadFunction(name: HostedFunctionName, shared: SharedResources = {}): Promise<HostedFunction> {
  return LOADERS[name](shared);
}
