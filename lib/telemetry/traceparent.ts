/**
 * W3C Trace Context (traceparent / tracestate) codec. The host owns this rather than relying on the
 * globally registered propagator so trace continuation works identically whether or not an SDK is
 * installed, and without allocating a carrier object per request.
 */

export interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  /** Trace flags as a number (bit 0 = sampled). */
  flags: number;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/**
 * Parse a `traceparent` value. Returns undefined for anything invalid, per the spec's rule that a
 * receiver restarts the trace rather than propagate a broken header. Future versions (not `00`,
 * not `ff`) are accepted when their first four fields parse, as the spec asks.
 */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  if (!value || value.length < 55) return undefined;
  const v = value.trim().toLowerCase();
  if (v.length < 55 || v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return undefined;
  const version = v.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' && v.length !== 55) return undefined;
  if (version !== '00' && v.length > 55 && v[55] !== '-') return undefined;
  const traceId = v.slice(3, 35);
  const spanId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The trace id of a traceparent without validating the rest: for log correlation only. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}
