/**
 * Prepared log lines for hot paths that write the same message with the same keys many times a
 * second (the function host's one `event handled` line per event).
 *
 * `log.info(fields, msg)` runs pino's generic pipeline per line: the redaction formatter, a
 * serializer and stringifier lookup and a type switch per key, quoting of every key. When the
 * caller already knows its keys (none sensitive, none with a serializer) it can hand over the
 * fields as JSON and this writes the very line pino would: pino's own level prefix, time, child
 * bindings, message key and line end, through pino's stream. Loggers with features this does not
 * reproduce (mixins, hooks, nested keys, message prefixes, streams that want metadata, asJson
 * diagnostics subscribers) get no prepared line and the caller uses the ordinary call.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { symbols, type Level, type Logger } from 'pino';

/** `fields` is `,"key":value` pairs (each value JSON); `msg` the message. */
export type LineWriter = (fields: string, msg: string) => void;

type Internals = Record<symbol, unknown>;
interface Stream {
  write(s: string): unknown;
  [k: symbol]: unknown;
}

const asJsonChannel = tracingChannel('pino_asJson');
/** Present at runtime since pino 8.14 but missing from its type declarations. */
const msgPrefixSym = (symbols as unknown as Record<string, symbol | undefined>).msgPrefixSym;

/**
 * A writer of `level` lines for `log`, or undefined when the logger needs pino's full pipeline.
 * The writer does not check the level: call it only when `log.isLevelEnabled(level)`.
 */
export function lineWriter(log: Logger, level: Level): LineWriter | undefined {
  const l = log as unknown as Internals;
  const hooks = l[symbols.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const stream = l[symbols.streamSym] as Stream | undefined;
  if (
    !stream ||
    typeof stream.write !== 'function' ||
    stream[symbols.needsMetadataGsym] === true ||
    l[symbols.mixinSym] ||
    hooks?.logMethod ||
    hooks?.streamWrite ||
    l[symbols.nestedKeySym] ||
    (msgPrefixSym !== undefined && typeof l[msgPrefixSym] === 'string') ||
    asJsonChannel.hasSubscribers
  ) {
    return undefined;
  }
  const num = log.levels.values[level];
  if (num === undefined) return undefined;
  const levelStr = (l[symbols.lsCacheSym] as Record<number, string>)[num];
  const time = l[symbols.timeSym] as () => string;
  const msgKey = `,${JSON.stringify(l[symbols.messageKeySym] as string)}:`;
  const end = l[symbols.endSym] as string;
  if (typeof levelStr !== 'string' || typeof time !== 'function' || typeof end !== 'string') return undefined;
  // Bindings are read per line: `setBindings` may change them.
  return (fields, msg) => {
    stream.write(levelStr + time() + (l[symbols.chindingsSym] as string) + fields + msgKey + JSON.stringify(msg) + end);
  };
}
