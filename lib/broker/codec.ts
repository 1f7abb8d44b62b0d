/**
 * CloudEvents 1.0 HTTP protocol binding (binary and structured JSON modes), byte-faithful.
 *
 * A broker forwards events; it should not reinterpret them. The cloudevents SDK parses JSON data
 * into objects and re-serializes it, which changes bytes and needs guessing for non-JSON payloads,
 * so the broker keeps an event as its context attributes (canonical strings) plus the raw data
 * bytes, and encodes/decodes the HTTP binding itself. The SDK is only used to accept SDK
 * `CloudEvent` objects from in-process callers.
 */
import { HTTP, type CloudEvent } from 'cloudevents';

export interface BrokerEvent {
  /** Every context attribute, extensions included, in canonical string form. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Raw data bytes; undefined when the event has no data. */
  readonly data?: Buffer;
}

export interface HttpMessage {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A request/response that is not an acceptable CloudEvent; `status` is what an ingress answers. */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

const ATTR_NAME = /^[a-z0-9]+$/;
const REQUIRED = ['id', 'source', 'type'] as const;
const SPEC_VERSIONS = ['1.0', '0.3'];

export function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined) return true; // CloudEvents JSON format: absent datacontenttype means JSON
  const base = ct.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || base === 'text/json' || base.endsWith('+json');
}

function isTextContentType(ct: string): boolean {
  const base = ct.split(';')[0]!.trim().toLowerCase();
  return base.startsWith('text/') || base.endsWith('+xml') || base === 'application/xml';
}

/** Lower-cased header map with single string values (node joins repeated headers with ", "). */
export function normalizeHeaders(
  h: Record<string, string | string[] | number | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** Does this HTTP message claim to carry a CloudEvent (binary headers or structured content type)? */
export function looksLikeCloudEvent(headers: Record<string, string>): boolean {
  const ct = (headers['content-type'] ?? '').toLowerCase();
  return (
    ct.startsWith('application/cloudevents') ||
    headers['ce-specversion'] !== undefined ||
    headers['ce-id'] !== undefined
  );
}

/** Decode an HTTP request or response (headers must be lower-cased) into an event. */
export function decodeMessage(msg: HttpMessage): BrokerEvent {
  const ct = (msg.headers['content-type'] ?? '').trim();
  const lower = ct.toLowerCase();
  if (lower.startsWith('application/cloudevents-batch')) {
    throw new CodecError(
      'batched CloudEvents (application/cloudevents-batch+json) are not accepted; send one event per request',
      415,
    );
  }
  if (lower.startsWith('application/cloudevents')) {
    const base = lower.split(';')[0]!.trim();
    if (base !== 'application/cloudevents+json') {
      throw new CodecError(
        `structured content type ${base} is not supported; use application/cloudevents+json`,
        415,
      );
    }
    return decodeStructured(msg.body);
  }
  return decodeBinary(msg.headers, msg.body);
}

function decodeBinary(headers: Record<string, string>, body: Buffer): BrokerEvent {
  if (headers['ce-specversion'] === undefined) {
    throw new CodecError(
      'not a CloudEvent: binary mode needs ce-specversion, ce-id, ce-source and ce-type headers; structured mode needs Content-Type application/cloudevents+json',
      400,
    );
  }
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith('ce-')) continue;
    const name = k.slice(3);
    // datacontenttype travels as Content-Type in binary mode; a ce- header for it is invalid.
    if (name === 'datacontenttype') continue;
    attributes[name] = percentDecode(v);
  }
  const ct = headers['content-type'];
  if (ct !== undefined && ct !== '') attributes.datacontenttype = ct;
  const ev: BrokerEvent = body.length > 0 ? { attributes, data: body } : { attributes };
  validate(ev.attributes);
  return ev;
}

function decodeStructured(body: Buffer): BrokerEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new CodecError(`structured CloudEvent body is not valid JSON: ${(e as Error).message}`, 400);
  }
  return fromStructuredObject(parsed);
}

export function fromStructuredObject(parsed: unknown): BrokerEvent {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CodecError('structured CloudEvent must be a JSON object', 400);
  }
  const obj = parsed as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'data' || k === 'data_base64' || v === null || v === undefined) continue;
    if (typeof v === 'string') attributes[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') attributes[k] = String(v);
    else throw new CodecError(`attribute ${k} must be a string, number or boolean`, 400);
  }
  let data: Buffer | undefined;
  if (obj.data_base64 !== undefined && obj.data_base64 !== null) {
    if (obj.data !== undefined) throw new CodecError('data and data_base64 are mutually exclusive', 400);
    if (typeof obj.data_base64 !== 'string') throw new CodecError('data_base64 must be a string', 400);
    data = Buffer.from(obj.data_base64, 'base64');
  } else if (obj.data !== undefined && obj.data !== null) {
    const ct = attributes.datacontenttype;
    if (typeof obj.data === 'string' && !isJsonContentType(ct)) data = Buffer.from(obj.data, 'utf8');
    else data = Buffer.from(JSON.stringify(obj.data), 'utf8');
  }
  const ev: BrokerEvent = data ? { attributes, data } : { attributes };
  validate(ev.attributes);
  return ev;
}

function validate(attrs: Record<string, string>): void {
  const sv = attrs.specversion;
  if (sv === undefined) throw new CodecError('missing specversion', 400);
  if (!SPEC_VERSIONS.includes(sv))
    throw new CodecError(`unsupported specversion ${JSON.stringify(sv)}; expected 1.0`, 400);
  for (const r of REQUIRED) {
    if (!attrs[r]) throw new CodecError(`missing required attribute ${r}`, 400);
  }
  for (const k of Object.keys(attrs)) {
    if (!ATTR_NAME.test(k))
      throw new CodecError(
        `invalid attribute name ${JSON.stringify(k)}: CloudEvents attribute names are lowercase a-z0-9`,
        400,
      );
  }
  if (attrs.time !== undefined && Number.isNaN(Date.parse(attrs.time))) {
    throw new CodecError(`attribute time ${JSON.stringify(attrs.time)} is not an RFC 3339 timestamp`, 400);
  }
}

/** Accept an SDK CloudEvent (what lib/events `buildEvent` returns) from an in-process caller. */
export function fromCloudEvent(ce: CloudEvent<unknown>): BrokerEvent {
  const msg = HTTP.structured(ce);
  const body =
    typeof msg.body === 'string' ? Buffer.from(msg.body, 'utf8') : Buffer.from(msg.body as Uint8Array);
  return decodeStructured(body);
}

/** Binary content mode: attributes as ce-* headers, data as the body. */
export function encodeBinary(ev: BrokerEvent): HttpMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ev.attributes)) {
    if (k === 'datacontenttype') headers['content-type'] = v;
    else headers[`ce-${k}`] = percentEncode(v);
  }
  return { headers, body: ev.data ?? Buffer.alloc(0) };
}

/** Structured content mode (application/cloudevents+json). */
export function encodeStructured(ev: BrokerEvent): HttpMessage {
  const obj: Record<string, unknown> = { ...ev.attributes };
  if (ev.data) {
    const ct = ev.attributes.datacontenttype;
    let done = false;
    if (isJsonContentType(ct)) {
      try {
        obj.data = JSON.parse(ev.data.toString('utf8')) as unknown;
        done = true;
      } catch {
        // Not valid JSON despite the content type: fall back to base64 so no byte is lost.
      }
    } else if (ct !== undefined && isTextContentType(ct)) {
      obj.data = ev.data.toString('utf8');
      done = true;
    }
    if (!done) obj.data_base64 = ev.data.toString('base64');
  }
  return {
    headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(obj), 'utf8'),
  };
}

/**
 * HTTP binding header encoding: space, double quote, percent and anything outside printable ASCII
 * are percent-encoded as UTF-8 bytes.
 */
export function percentEncode(v: string): string {
  let out = '';
  for (const byte of Buffer.from(v, 'utf8')) {
    out +=
      byte <= 0x20 || byte >= 0x7f || byte === 0x22 || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

export function percentDecode(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v; // a stray % from a sender that did not encode: keep the value as sent
  }
}
