/**
 * Typed database errors. Drivers report connectivity trouble in many shapes (socket errno codes,
 * SQLSTATE class 08, pool timeouts, "Connection terminated" messages); callers only need to know
 * "the database is not there right now, retry later" vs "your statement failed".
 */

/** The database could not be reached, dropped the connection, or is shutting down / starting up. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A statement exceeded statement_timeout (or was cancelled): the database is there but too slow. */
export class DatabaseTimeoutError extends DatabaseUnavailableError {
  override name = 'DatabaseTimeoutError';
}

const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * SQLSTATEs that mean "not your statement's fault": connection exceptions (class 08), server
 * shutdown/crash (57P01..57P03), too many connections (53300), and the hot-standby conflicts that a
 * retry resolves are not included because those are statement-level.
 */
const UNAVAILABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300', '53400']);

function code(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function isUnavailable(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true;
  if (!(e instanceof Error)) return false;
  const c = code(e);
  if (c && (UNAVAILABLE_ERRNO.has(c) || UNAVAILABLE_SQLSTATE.has(c) || c.startsWith('08'))) return true;
  // node-postgres reports pool/socket trouble as plain Errors without a code.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end|terminating connection/i.test(
    e.message,
  );
}

/** Wrap driver errors: connectivity → DatabaseUnavailableError, statement timeout → DatabaseTimeoutError. */
export function mapDatabaseError(e: unknown): unknown {
  if (e instanceof DatabaseUnavailableError) return e;
  if (code(e) === '57014') return new DatabaseTimeoutError(`database statement timed out: ${(e as Error).message}`, { cause: e });
  if (isUnavailable(e)) return new DatabaseUnavailableError(`database unavailable: ${(e as Error).message}`, { cause: e });
  return e;
}
