/**
 * Structured JSON logging (pino). One root logger per process; components take children with a
 * `component` binding so a 3 a.m. reader can grep one part of the operator.
 *
 * LOG_LEVEL (trace|debug|info|warn|error|fatal|silent, default info) and LOG_FORMAT (json|pretty,
 * default json) are read here rather than in every component's config because every component
 * logs the same way.
 */
import { destination as pinoDestination, pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}

/** A logger with the operator's level, serializers and redaction, writing to `destination` (default stdout). */
export function createLogger(destination?: DestinationStream): Logger {
  {
    const lvl = (process.env.LOG_LEVEL ?? 'info').toLowerCase();
    const level = (LEVELS as readonly string[]).includes(lvl) ? lvl : 'info';
    const opts: LoggerOptions = {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors are logged with message and type; stacks only at debug, so secrets in stack frames
      // and noisy traces stay out of production logs.
      serializers: {
        err: (e: unknown) => serializeError(e, level === 'debug' || level === 'trace'),
      },
      redact: { paths: ['*.authorization', '*.password', '*.token', '*.secret'], censor: '[redacted]' },
    };
    // Default: stdout written asynchronously. A synchronous write per line was ~40% of the function
    // host's own per-event cost (bench/function-host.ts); pino flushes the buffer on process exit,
    // so only a hard kill (SIGKILL, OOM) can lose the last lines.
    const created = pino(opts, destination ?? pinoDestination({ dest: 1, sync: false }));
    if (lvl !== level) created.warn({ LOG_LEVEL: lvl }, `unknown LOG_LEVEL, using info; allowed: ${LEVELS.join(', ')}`);
    return created;
  }
}

/** Replace the root logger (tests use a silent or in-memory destination). */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

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
