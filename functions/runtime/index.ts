/** The function host's public surface. */
export * from './types.js';
export * from './errors.js';
export { RUNTIME_CONFIG, loadRuntimeConfig, type RuntimeConfig } from './config.js';
export {
  createFunctionApp,
  functionHost,
  HandlerTimeoutError,
  ShutdownAbortError,
  type AnyEventFunctionDefinition,
  type AnyIncomingEvent,
  type FunctionAppOptions,
  type FunctionHost,
  type HostedFunction,
} from './host.js';
export { serveFunction, runFunction, type ServeOptions, type ServedFunction } from './serve.js';
export { SinkNotConfiguredError } from './emit.js';
export { decodeMessage, encodeBinary, encodeHeaderValue, decodeHeaderValue, EventDecodeError, type DecodedEvent } from './cloudevents.js';
export { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
export {
  MemoryIdempotencyStore,
  SqlIdempotencyStore,
  idempotent,
  type ClaimResult,
  type IdempotencyStore,
  type SqlExecutor,
} from './idempotency.js';
