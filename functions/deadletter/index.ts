/**
 * deadletter: the Broker's DeliverySpec dead-letter sink (Knative Service `kscape-deadletter`).
 *
 * Knative sends here every event that exhausted its retries, of any type, with the extensions
 * `knativeerrordest` (the subscriber that failed), `knativeerrorcode` (its last HTTP status) and
 * `knativeerrordata` (its last response body, base64, possibly truncated). The function records
 * each one as an error log line and a metric, then acknowledges it (202) so nothing loops.
 *
 * It is the only function that opts into `acceptAnyType`: whatever failed must be recorded, even an
 * event type the catalog does not know (that is often exactly why it failed).
 */
import { isCatalogType } from '../../lib/events/index.js';
import { recordDeadLetter } from '../../lib/telemetry/index.js';
import type { AnyEventFunctionDefinition, AnyIncomingEvent } from '../runtime/host.js';

/** Longest decoded error body kept in the log line: enough for a problem+json answer. */
export const MAX_ERROR_DATA_CHARS = 2048;
/** Longest preview of the dead event's own data. */
export const MAX_DATA_PREVIEW_CHARS = 512;

export interface DeadLetterRecord {
  eventId: string;
  eventType: string;
  source: string;
  subject?: string;
  time?: string;
  /** URL of the subscriber that kept failing. */
  destination?: string;
  /** Its last HTTP status, or `unknown`. */
  code: string;
  /** Its last response body, decoded from base64 and truncated. */
  errorData?: string;
  /** When the response body was an RFC 9457 problem (our functions answer those). */
  problem?: { type?: unknown; title?: unknown; detail?: unknown };
  dataBytes: number;
  dataPreview?: string;
  extensions: Record<string, string>;
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s;
}

/** Decode `knativeerrordata`: base64 per Knative, but tolerate a plain string from other brokers. */
export function decodeErrorData(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const compact = raw.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(compact) && compact.length % 4 === 0) {
    const text = Buffer.from(compact, 'base64').toString('utf8');
    // Valid base64 of binary garbage decodes to replacement characters: then the raw form is more useful.
    if (!text.includes('\uFFFD')) return truncate(text, MAX_ERROR_DATA_CHARS);
  }
  return truncate(raw, MAX_ERROR_DATA_CHARS);
}

function dataSize(data: unknown): { bytes: number; preview?: string } {
  if (data === undefined) return { bytes: 0 };
  if (Buffer.isBuffer(data)) return { bytes: data.length, preview: `<${data.length} bytes of binary data>` };
  const json = JSON.stringify(data) ?? '';
  return { bytes: Buffer.byteLength(json), preview: truncate(json, MAX_DATA_PREVIEW_CHARS) };
}

export function deadLetterRecord(event: AnyIncomingEvent): DeadLetterRecord {
  const ext = event.extensions;
  const code = ext.knativeerrorcode && /^\d{3}$/.test(ext.knativeerrorcode) ? ext.knativeerrorcode : 'unknown';
  const errorData = decodeErrorData(ext.knativeerrordata);
  let problem: DeadLetterRecord['problem'];
  if (errorData?.startsWith('{')) {
    try {
      const p = JSON.parse(errorData) as Record<string, unknown>;
      if (typeof p === 'object' && p !== null && ('title' in p || 'detail' in p)) problem = { type: p.type, title: p.title, detail: p.detail };
    } catch {
      // truncated or not JSON: the raw text is logged anyway
    }
  }
  const { knativeerrordata: _data, ...rest } = ext;
  const size = dataSize(event.data);
  return {
    eventId: event.id,
    eventType: event.type,
    source: event.source,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    ...(event.time !== undefined ? { time: event.time } : {}),
    ...(ext.knativeerrordest ? { destination: ext.knativeerrordest } : {}),
    code,
    ...(errorData !== undefined ? { errorData } : {}),
    ...(problem ? { problem } : {}),
    dataBytes: size.bytes,
    ...(size.preview !== undefined ? { dataPreview: size.preview } : {}),
    extensions: rest,
  };
}

export const deadletter: AnyEventFunctionDefinition = {
  name: 'deadletter',
  acceptAnyType: true,
  consumes: [],
  async handle(event, ctx) {
    const record = deadLetterRecord(event);
    ctx.log.error({ deadLetter: record }, `event dead-lettered after delivery retries: ${record.eventType} to ${record.destination ?? '(unknown destination)'} failed with ${record.code}`);
    // Label values stay bounded: unknown types collapse to "other", codes to three digits or "unknown".
    recordDeadLetter(isCatalogType(event.type) ? event.type : 'other', record.code);
    return undefined;
  },
};

/** The definition, for registries that load functions by name (`kscape function deadletter`). */
export function createDeadLetterFunction(): AnyEventFunctionDefinition {
  return deadletter;
}

export default deadletter;
