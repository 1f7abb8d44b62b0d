/**
 * ISO-8601 durations as Knative's DeliverySpec writes them (`PT0.2S`, `PT1M30S`, `P1D`).
 *
 * Knative parses these with a period library that also accepts years and months by approximating
 * them. A retry backoff or a request timeout measured in calendar months is a mistake, not a
 * configuration, so we reject Y and month-M with a message that says so instead of guessing.
 */

const RE =
  /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Parse an ISO-8601 duration into milliseconds; throws DurationError with the reason. */
export function parseIsoDurationMs(raw: string): number {
  if (typeof raw !== 'string')
    throw new DurationError(`expected an ISO-8601 duration string, got ${typeof raw}`);
  const m = RE.exec(raw.trim().toUpperCase());
  if (!m)
    throw new DurationError(
      `${JSON.stringify(raw)} is not an ISO-8601 duration such as PT0.2S, PT30S or PT1M`,
    );
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]!.replace(',', '.')));
  if (m[1] !== undefined || m[2] !== undefined) {
    throw new DurationError(
      `${JSON.stringify(raw)} uses years or months, whose length depends on the calendar; use weeks, days, hours, minutes or seconds`,
    );
  }
  const ms = ((n(3) * 7 + n(4)) * 24 * 3600 + n(5) * 3600 + n(6) * 60 + n(7)) * 1000;
  if (!Number.isFinite(ms)) throw new DurationError(`${JSON.stringify(raw)} is out of range`);
  return Math.round(ms);
}
