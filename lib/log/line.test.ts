import { describe, expect, it } from 'vitest';
import { pino, symbols, type Logger } from 'pino';
import { createLogger } from './index.js';
import { lineWriter } from './line.js';

function sink(): { raw: string[]; stream: { write(s: string): void } } {
  const raw: string[] = [];
  return { raw, stream: { write: (s: string) => void raw.push(s) } };
}

const fields = {
  eventId: 'e-1 "quoted" \\ back',
  eventType: 'io.kubescape.configscan.requested',
  source: '/apis/v1/namespaces/kscape/pingsources/kscape-posture\u2028',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  status: 202,
  ms: 0.3,
};
const asPairs = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join('');

/** The same line through pino's ordinary call and through the prepared writer. */
function both(make: (stream: { write(s: string): void }) => Logger, msg = 'event "handled"'): [string, string] {
  const a = sink();
  make(a.stream).info(fields, msg);
  const b = sink();
  const w = lineWriter(make(b.stream), 'info');
  expect(w).toBeDefined();
  w!(asPairs(fields), msg);
  expect(a.raw).toHaveLength(1);
  expect(b.raw).toHaveLength(1);
  return [a.raw[0]!, b.raw[0]!];
}

describe('prepared log lines', () => {
  it('write exactly the line pino writes (level, time, bindings, fields, message, newline)', () => {
    const fixedTime = (stream: { write(s: string): void }): Logger =>
      pino({ level: 'info', timestamp: () => ',"time":1700000000000' }, stream).child({ component: 'function-host', function: 'scan' });
    const [viaPino, prepared] = both(fixedTime);
    expect(prepared).toBe(viaPino);
    expect(prepared.endsWith('}\n')).toBe(true);
  });

  it('match the operator logger (level words, ISO time, pid, redaction formatter) apart from the clock', () => {
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info'; // the suite runs at warn
    let viaPino: string, prepared: string;
    try {
      [viaPino, prepared] = both((s) => createLogger(s).child({ component: 'function-host', function: 'bench' }));
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
    const noTime = (line: string): string => line.replace(/,"time":"[^"]+"/, '');
    expect(noTime(prepared)).toBe(noTime(viaPino));
    const parsed = JSON.parse(prepared) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 'info', component: 'function-host', function: 'bench', ...fields, msg: 'event "handled"' });
    expect(typeof parsed.time).toBe('string');
  });

  it('follow bindings changed after preparation', () => {
    const s = sink();
    const log = pino({ timestamp: false }, s.stream).child({ a: 1 });
    const w = lineWriter(log, 'info')!;
    log.setBindings({ a: 2 });
    w(',"k":1', 'm');
    expect(JSON.parse(s.raw[0]!)).toEqual({ level: 30, pid: process.pid, hostname: expect.any(String), a: 2, k: 1, msg: 'm' });
  });

  it('are refused for loggers that need the full pipeline', () => {
    const { stream } = sink();
    expect(lineWriter(pino({ mixin: () => ({ x: 1 }) }, stream), 'info')).toBeUndefined();
    expect(lineWriter(pino({ msgPrefix: '[p] ' }, stream), 'info')).toBeUndefined();
    expect(lineWriter(pino({ nestedKey: 'payload' }, stream), 'info')).toBeUndefined();
    expect(lineWriter(pino({ hooks: { logMethod: (args, method) => method(...args) } }, stream), 'info')).toBeUndefined();
    expect(lineWriter(pino({ hooks: { streamWrite: (s) => s } }, stream), 'info')).toBeUndefined();
    const withMeta = Object.assign({ write: () => undefined }, { [symbols.needsMetadataGsym]: true as const });
    expect(lineWriter(pino({}, withMeta as never), 'info')).toBeUndefined();
  });
});
