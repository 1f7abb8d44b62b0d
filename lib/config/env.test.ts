import { describe, expect, it } from 'vitest';
import {
  bool,
  bytes,
  ConfigError,
  describeConfig,
  duration,
  int,
  list,
  loadConfig,
  oneOf,
  parseBytes,
  parseDurationMs,
  str,
  url,
} from './env.js';

const spec = {
  PORT: int({ doc: 'port', default: 8080, min: 1, max: 65535 }),
  MODE: oneOf(['a', 'b'] as const, { doc: 'mode', default: 'a' }),
  ON: bool({ doc: 'flag', default: false }),
  WAIT: duration({ doc: 'wait', default: 1000 }),
  SIZE: bytes({ doc: 'size', default: 1024 }),
  NAMES: list({ doc: 'names', default: ['x'], item: /^[a-z]+$/ }),
  TOKEN: str({ doc: 'secret token', default: '', secret: true, pattern: /^[a-z]+$/ }),
  SINK: url({ doc: 'sink', default: 'http://localhost' }),
};

describe('loadConfig', () => {
  it('applies defaults for unset and empty variables', () => {
    expect(loadConfig(spec, { PORT: '' })).toEqual({
      PORT: 8080,
      MODE: 'a',
      ON: false,
      WAIT: 1000,
      SIZE: 1024,
      NAMES: ['x'],
      TOKEN: '',
      SINK: 'http://localhost',
    });
  });

  it('parses every type', () => {
    const c = loadConfig(spec, { PORT: '9000', MODE: 'b', ON: 'yes', WAIT: '1m30s', SIZE: '2Mi', NAMES: 'a, b,,c', SINK: 'https://x.example/p' });
    expect(c).toMatchObject({ PORT: 9000, MODE: 'b', ON: true, WAIT: 90_000, SIZE: 2 * 1024 * 1024, NAMES: ['a', 'b', 'c'] });
  });

  it('reports every bad variable with what it allows, and hides secrets', () => {
    let err: unknown;
    try {
      loadConfig(spec, { PORT: '70000', MODE: 'c', ON: 'maybe', TOKEN: 'S3CRET', SINK: 'ftp://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('PORT="70000": expected an integer 1..65535 (out of range)');
    expect(msg).toContain('MODE="c": expected one of a, b');
    expect(msg).toContain('ON="maybe"');
    expect(msg).toContain('TOKEN="<redacted>"');
    expect(msg).not.toContain('S3CRET');
    expect(msg).toContain('SINK="ftp://x"');
    expect((err as ConfigError).problems).toHaveLength(5);
  });

  it('enforces required variables', () => {
    expect(() => loadConfig({ X: str({ doc: 'x', default: '', required: true }) }, {})).toThrow(/X="": expected a string \(required\)/);
  });
});

describe('parsers', () => {
  it('parses durations like Go', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('250')).toBe(250);
    expect(parseDurationMs('5 minutes')).toBeUndefined();
    expect(parseDurationMs('')).toBeUndefined();
  });
  it('parses sizes', () => {
    expect(parseBytes('1Ki')).toBe(1024);
    expect(parseBytes('1M')).toBe(1_000_000);
    expect(parseBytes('10x')).toBeUndefined();
  });
  it('documents a spec as a markdown table', () => {
    const md = describeConfig(spec);
    expect(md).toContain('| `PORT` | `8080` | port Allowed: an integer 1..65535. |');
    expect(md).toContain('| `TOKEN` | (secret) |');
  });
});
