/**
 * Structured JSON logging (pino). One root logger per process; components take children with a
 * `component` binding so a 3 a.m. reader can grep one part of the operator.
 *
 * LOG_LEVEL (trace|debug|info|warn|error|fatal|silent, default info) and LOG_FORMAT (json|pretty,
 * default json) are read here rather than in every component's config because every component
 * logs the same way.
 */
import {
  destination as pinoDestination,
  pino,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';

export type { Logger } from 'pino';
export { serializeError } from './serialize.js';
export { lineWriter, type LineWriter } from './line.js';
import { serializeError } from './serialize.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}

/** Keys whose values never reach a log line. */
const SENSITIVE = new Set(['authorization', 'password', 'token', 'secret']);
const CENSOR = '[redacted]';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Error) && !Buffer.isBuffer(v)
  );
}

/**
 * Redaction of SENSITIVE keys at the top level and one level down (`{ headers: { authorization } }`)
 * of every logged object, copying only objects that hold one: the caller's object is never
 * modified. Child-logger bindings are not data and are not redacted. Hand-written
 * because pino's wildcard `redact` paths cost ~10 µs per line, more than the rest of the function
 * host's per-event work (bench/function-host.ts).
 */
export function redact(obj: Record<string, unknown>): Record<string, unknown> {
  let out = obj;
  for (const k in obj) {
    if (SENSITIVE.has(k)) {
      if (out === obj) out = { ...obj };
      out[k] = CENSOR;
      continue;
    }
    const v = obj[k];
    if (!isPlainObject(v)) continue;
    let inner = v;
    for (const k2 in v) {
      if (!SENSITIVE.has(k2)) continue;
      if (inner === v) inner = { ...v };
      inner[k2] = CENSOR;
    }
    if (inner !== v) {
      if (out === obj) out = { ...obj };
      out[k] = inner;
    }
  }
  return out;
}

let isoMs = -1;
let isoField = '';
let isoSecond = -1;
let isoPrefix = '';
/**
 * pino's isoTime, reused within a millisecond and with the date and time formatted once per second
 * (only the milliseconds are appended per new millisecond): a busy host writes a line per event.
 */
function isoTime(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    const ms = now % 1000;
    const second = now - ms;
    if (second !== isoSecond) {
      isoSecond = second;
      // "2026-11-27T05:10:00." from "2026-11-27T05:10:00.000Z"
      isoPrefix = `,"time":"${new Date(second).toISOString().slice(0, -4)}`;
    }
    isoField = `${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
  }
  return isoField;
}

const buffered = new Set<{ flushSync(): void }>();

/** Flush `dest` when the process exits, however it exits short of a signal that kills it. */
function flushOnExit<T extends { flushSync(): void }>(dest: T): T {
  if (buffered.size === 0) {
    process.once('exit', () => {
      for (const d of buffered) {
        try {
          d.flushSync();
        } catch {
          // stdout closed (EPIPE): nothing left to write to.
        }
      }
    });
  }
  buffered.add(dest);
  return dest;
}

/** A logger with the operator's level, serializers and redaction, writing to `destination` (default stdout). */
export function createLogger(destination?: DestinationStream): Logger {
  {
    const lvl = (process.env.LOG_LEVEL ?? 'info').toLowerCase();
    const level = (LEVELS as readonly string[]).includes(lvl) ? lvl : 'info';
    const opts: LoggerOptions = {
      level,
      base: { pid: process.pid },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }), log: redact },
      // Errors are logged with message and type; stacks only at debug, so secrets in stack frames
      // and noisy traces stay out of production logs.
      serializers: {
        err: (e: unknown) => serializeError(e, level === 'debug' || level === 'trace'),
      },
    };
    // Default: stdout in writes of at least 4 KiB or every 100 ms. A write per line was the largest
    // part of the function host's per-event cost (bench/function-host.ts). The writes are
    // synchronous, as pino's own default: with lines buffered, an asynchronous write costs more
    // than the write itself (4.4 against 1.7 µs of CPU per 330-byte line to /dev/null, measured
    // with sonic-boom on Node 20: the thread-pool hand-off and the string copy per request), and a
    // stalled reader blocks the process instead of growing its memory without bound. The buffer is
    // flushed on process exit (pino does that only for asynchronous destinations, hence
    // flushOnExit), so only a hard kill (SIGKILL, OOM) can lose the last 100 ms of lines.
    const created = pino(
      opts,
      destination ??
        flushOnExit(pinoDestination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 100 })),
    );
    if (lvl !== level)
      created.warn({ LOG_LEVEL: lvl }, `unknown LOG_LEVEL, using info; allowed: ${LEVELS.join(', ')}`);
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
