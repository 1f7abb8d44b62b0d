/**
 * Name → hosted component, loaded lazily so `kscape function <name>` imports only that component.
 *
 * Two kinds: CloudEvents functions (`LOADERS`), run by the function host behind a Trigger, and HTTP
 * services (`HTTP_SERVICES`) that serve their own API — control, the provider's signed command door
 * (DESIGN.md §6), which no Trigger routes to. `kscape function <name>` and `kscape dev` run both
 * kinds through `hostingOf`.

 */
import type { Env } from '../lib/config/env.js';
import type { Database } from '../lib/db/index.js';
import type { FunctionName } from '../lib/events/index.js';
import type { HostedFunction } from './runtime/host.js';

export type HostedFunctionName = FunctionName | 'deadletter';
/** Components that serve their own HTTP API rather than CloudEvents. */
export type HttpServiceName = 'control';
export type CloudEventsFunctionName = Exclude<HostedFunctionName, HttpServiceName>;

/** Resources a host process may share between the functions it runs (dev mode: one embedded database). */
export interface SharedResources {
  database?: Database;
}

export interface HttpServiceOptions {
  port?: number;
  host?: string;
  /** Environment the service configures itself from (dev mode adds K_SINK). */
  env?: Env;
  database?: Database;
}

export interface ServedHttpService {
  url: string;
  close(): Promise<void>;
}

export type Hosting =
  | { kind: 'cloudevents'; load(shared?: SharedResources): Promise<HostedFunction> }
  | { kind: 'http'; serve(opts?: HttpServiceOptions): Promise<ServedHttpService> };

const LOADERS: Record<CloudEventsFunctionName, (shared: SharedResources) => Promise<HostedFunction>> = {
  schedule: async (shared) => (await import('./schedule/index.js')).createScheduleFunction({ ...(shared.database ? { database: shared.database } : {}) }),
  scan: async (shared) => (await import('./scan/function.js')).createScanFunction({ ...(shared.database ? { database: shared.database } : {}) }),
  vuln: async (shared) => (await import('./vuln/function.js')).createVulnFunction({ ...(shared.database ? { database: shared.database } : {}) }),
  export: async () => (await import('./export/index.js')).createExportFunction(),
  deadletter: async () => (await import('./deadletter/index.js')).createDeadLetterFunction(),
};

const HTTP_SERVICES: Record<HttpServiceName, (opts: HttpServiceOptions) => Promise<ServedHttpService>> = {
  control: async (opts) => (await import('./control/index.js')).serveControl(opts),
};

export const HOSTED_FUNCTIONS = [...Object.keys(LOADERS), ...Object.keys(HTTP_SERVICES)] as HostedFunctionName[];

export function isHostedFunction(name: string): name is HostedFunctionName {
  return Object.prototype.hasOwnProperty.call(LOADERS, name) || Object.prototype.hasOwnProperty.call(HTTP_SERVICES, name);
}

const isHttpService = (name: HostedFunctionName): name is HttpServiceName => Object.prototype.hasOwnProperty.call(HTTP_SERVICES, name);

/** How `name` is run: loaded into the CloudEvents function host, or served as its own HTTP API. */
export function hostingOf(name: HostedFunctionName): Hosting {
  if (isHttpService(name)) {
    const serve = HTTP_SERVICES[name];
    return { kind: 'http', serve: (opts = {}) => serve(opts) };
  }
  const load = LOADERS[name];
  return { kind: 'cloudevents', load: (shared = {}) => load(shared) };
}

export async function loadFunction(name: CloudEventsFunctionName, shared: SharedResources = {}): Promise<HostedFunction> {
  return LOADERS[name](shared);
}
