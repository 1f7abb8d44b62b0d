/**
 * Which function consumes which catalog types and which types it may produce. This is the contract
 * the Triggers in knative/ must implement: the manifest tests check every consumed type has a
 * Trigger to its function and that no function's produced types loop back into its own Trigger.
 * Each function's `consumes` must equal its entry here (checked by its tests).
 */
import { EVENT_TYPES as T, type EventType } from './catalog.js';

export interface FunctionRoute {
  consumes: readonly EventType[];
  /** Reply or emitted types. */
  produces: readonly EventType[];
  /** Exposed outside the cluster (only control). */
  external?: boolean;
}

export const FUNCTION_ROUTES = {
  schedule: {
    consumes: [T.ping, T.resourceAdd, T.resourceUpdate, T.resourceDelete],
    produces: [T.configScanRequested, T.vulnScanRequested, T.vulnDbUpdateRequested, T.clusterInventoried],
  },
  scan: { consumes: [T.configScanRequested, T.hostReported], produces: [T.configScanCompleted] },
  vuln: {
    consumes: [T.vulnScanRequested, T.vulnDbUpdateRequested, T.relevancyReported],
    produces: [T.vulnScanCompleted],
  },
  export: { consumes: [T.configScanCompleted, T.vulnScanCompleted, T.clusterInventoried], produces: [] },
  control: {
    consumes: [],
    produces: [T.configScanRequested, T.vulnScanRequested, T.vulnDbUpdateRequested],
    external: true,
  },
} as const satisfies Record<string, FunctionRoute>;

export type FunctionName = keyof typeof FUNCTION_ROUTES;
export const FUNCTION_NAMES = Object.keys(FUNCTION_ROUTES) as FunctionName[];
