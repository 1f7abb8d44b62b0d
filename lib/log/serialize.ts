/**
 * Error → log fields. Kept apart from the pino setup so the CLI can report a failure without
 * loading the logging library (the `kscape function` start-up path stays lean).
 */
export function serializeError(e: unknown, withStack = false): Record<string, unknown> {
  if (e instanceof Error) {
    const out: Record<string, unknown> = { type: e.name, message: e.message };
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (withStack && e.stack) out.stack = e.stack;
    if (e.cause !== undefined) out.cause = serializeError(e.cause, withStack);
    return out;
  }
  return { type: typeof e, message: String(e) };
}
