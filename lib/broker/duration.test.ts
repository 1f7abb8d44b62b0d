import { describe, expect, it } from 'vitest';
import { parseIsoDurationMs } from './duration.js';

describe('ISO-8601 durations', () => {
  it.each([
    ['PT0.2S', 200],
    ['PT0.01S', 10],
    ['PT1S', 1000],
    ['PT1M30S', 90_000],
    ['PT2H', 7_200_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['P1DT1S', 86_401_000],
    ['pt5s', 5000],
    ['PT0,5S', 500],
  ])('%s = %d ms', (raw, ms) => {
    expect(parseIsoDurationMs(raw)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '1S', 'PT-1S', '200ms', 'PT1S2M', 'P1DT'])('rejects %j', (raw) => {
    expect(() => parseIsoDurationMs(raw)).toThrow(/not an ISO-8601 duration/);
  });

  it('rejects calendar units with a reason', () => {
    expect(() => parseIsoDurationMs('P1M')).toThrow(/years or months/);
    expect(() => parseIsoDurationMs('P1Y')).toThrow(/years or months/);
  });
});
