import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildOnce, ROOT } from '../../test/support/build.js';
import { createLogger, redact } from './index.js';

function capture(): { lines: Record<string, unknown>[]; stream: { write(s: string): void } } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    stream: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  };
}

describe('log redaction', () => {
  it('censors sensitive keys at the top level and one level down, without touching the logged object', () => {
    const { lines, stream } = capture();
    const log = createLogger(stream);
    const fields = {
      token: 't0',
      headers: { authorization: 'Bearer x', accept: '*/*' },
      user: { password: 'p', name: 'n' },
      list: [{ secret: 's' }],
    };
    log.warn(fields, 'hello');
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: 'hello',
      token: '[redacted]',
      headers: { authorization: '[redacted]', accept: '*/*' },
      user: { password: '[redacted]', name: 'n' },
    });
    expect(typeof lines[0]!.time).toBe('string');
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
    expect(fields.token).toBe('t0');
    expect(fields.headers.authorization).toBe('Bearer x');
  });

  it('returns the same object when nothing is sensitive (no copy on the hot path)', () => {
    const o = { eventId: '1', nested: { a: 1 } };
    expect(redact(o)).toBe(o);
  });

  it('serializes errors without stacks below debug', () => {
    const { lines, stream } = capture();
    createLogger(stream).error({ err: new TypeError('boom') }, 'failed');
    expect(lines[0]!.err).toEqual({ type: 'TypeError', message: 'boom' });
  });
});

describe('log time', () => {
  it('is the ISO time of the line, milliseconds included, across seconds', async () => {
    const { lines, stream } = capture();
    const log = createLogger(stream);
    for (let i = 0; i < 40; i++) {
      const before = Date.now();
      log.warn('tick');
      const after = Date.now();
      const t = lines[lines.length - 1]!.time as string;
      expect(new Date(t).toISOString()).toBe(t);
      expect(Date.parse(t)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(t)).toBeLessThanOrEqual(after);
      await new Promise((r) => setTimeout(r, 37));
    }
  });
});

describe('stdout destination', () => {
  it('writes the lines it buffers when the process exits, naturally or through process.exit()', async () => {
    await buildOnce();
    const mod = pathToFileURL(join(ROOT, 'dist', 'lib', 'log', 'index.js')).href;
    for (const exit of ['', 'process.exit(3);']) {
      const script = `import { logger } from ${JSON.stringify(mod)};
const log = logger('t');
for (let i = 0; i < 3; i++) log.info({ i }, 'line');
${exit}`;
      const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, LOG_LEVEL: 'info' },
      }).catch((e: { stdout: string; code: number }) => e);
      const lines = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
      expect(lines).toEqual([0, 1, 2]);
    }
  });
});
