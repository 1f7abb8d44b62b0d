/**
 * A delay that an AbortSignal cuts short: retry loops (broker deliveries, registry pulls, provider
 * webhooks, vulnerability-DB downloads) must stop waiting the moment their work is cancelled or the
 * process shuts down, instead of holding shutdown for a whole backoff.
 */

/**
 * Resolve after `ms`, or reject as soon as `signal` aborts: with `abortError()` when given, else
 * with the signal's reason. The timer and the listener never outlive the wait.
 */
export function abortableSleep(ms: number, signal?: AbortSignal, abortError?: () => Error): Promise<void> {
  const fail = (): Error => (abortError ? abortError() : (signal?.reason as Error));
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(fail());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(fail());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
