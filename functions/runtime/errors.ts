/**
 * Typed errors a handler may throw. The host maps them once to HTTP statuses with Knative's
 * delivery semantics: 400 is never retried, 429 and 5xx are.
 */

/** The event is well-formed but cannot ever be processed (bad reference, forbidden scope): 400, not retried. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/** A dependency failed in a way that may heal (database, registry, API server): 503, retried. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** Backpressure: 429 with Retry-After, retried by the broker. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
