/**
 * The local broker: Knative Eventing (Broker, Trigger, PingSource) emulated in-process from the
 * manifests in knative/, for `kscape dev` and tests. See README.md.
 */
export {
  startLocalBroker,
  BrokerBusyError,
  DEFAULT_TTL,
  TTL_EXTENSION,
  type LocalBroker,
  type LocalBrokerOptions,
  type BrokerStats,
  type TriggerStats,
  type PublishResult,
} from './broker.js';
export {
  loadEventingConfig,
  EventingConfigError,
  type EventingConfig,
  type BrokerConfig,
  type TriggerConfig,
  type PingSourceConfig,
  type DeliverySpec,
  type Destination,
  type KReference,
  type LoadOptions,
  type Origin,
} from './config.js';
export { serviceResolver, ResolveError, type DestinationResolver, type ResolveContext } from './resolve.js';
export { CodecError, type BrokerEvent } from './codec.js';
export { matchTriggerFilter, describeTriggerFilter, type TriggerFilter, type Filter } from './filters.js';
export { parseIsoDurationMs } from './duration.js';
