/**
 * CloudEvents 1.0 HTTP protocol binding: decoding of binary, structured and batched requests and
 * binary-mode encoding of produced events.
 *
 * Written against the spec rather than delegating to the SDK's `HTTP.toEvent` because the host
 * needs precise, client-safe error messages for 400 answers, the spec's header percent-encoding
 * (the SDK sends non-ASCII header values raw), and a lean per-request path.
 */
import type { ProblemIssue } from './problem.js';

export interface DecodedEvent {
  id: string;
  source: string;
  type: string;
  specversion: '1.0';
  subject?: string;
  time?: string;
  dataschema?: string;
  datacontenttype?: string;
  /** Parsed JSON for JSON content types; a Buffer for other media types; undefined when absent. */
  data: unknown;
  /** Extension attributes, stringified (CloudEvents binary mode carries every value as a string). */
  extensions: Record<string, string>;
}

export type DecodedMessage = { mode: 'binary' | 'structured'; event: DecodedEvent } | { mode: 'batch'; events: DecodedEvent[] };

/** The request is not a valid CloudEvent: answered with 400 and never retried. */
export class EventDecodeError extends Error {
  override name = 'EventDecodeError';
  constructor(
    message: string,
    readonly issues: ProblemIssue[] = [],
  ) {
    super(message);
  }
}

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

const NAME = /^[a-z0-9]{1,}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const SPEC_ATTRS = new Set(['id', 'source', 'type', 'specversion', 'subject', 'time', 'dataschema', 'datacontenttype']);
/** Longest attribute value accepted: header values are bounded by the body limit anyway, this keeps logs sane. */
const MAX_ATTR_LENGTH = 4096;

export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === '') return true;
  const semi = contentType.indexOf(';');
  const mt = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return mt === 'application/json' || mt === 'text/json' || mt.endsWith('+json');
}

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Decode one HTTP request into CloudEvents. `body` is the complete (already bounded) body. */
export function decodeMessage(headers: HeaderBag, body: Buffer, maxBatch: number): DecodedMessage {
  const contentType = header(headers, 'content-type');
  const ct = contentType?.trimStart().toLowerCase() ?? '';
  if (ct.startsWith('application/cloudevents-batch')) {
    if (!ct.startsWith('application/cloudevents-batch+json')) throw new EventDecodeError(`unsupported batch format ${contentType}`);
    const parsed = parseJson(body, 'batch body');
    if (!Array.isArray(parsed)) throw new EventDecodeError('a batch must be a JSON array of structured events');
    if (parsed.length > maxBatch) throw new EventDecodeError(`a batch may hold at most ${maxBatch} events, got ${parsed.length}`);
    const issues: ProblemIssue[] = [];
    const events: DecodedEvent[] = [];
    parsed.forEach((item, i) => {
      try {
        events.push(decodeStructuredObject(item));
      } catch (e) {
        if (!(e instanceof EventDecodeError)) throw e;
        if (e.issues.length) for (const is of e.issues) issues.push({ path: `[${i}].${is.path}`, message: is.message });
        else issues.push({ path: `[${i}]`, message: e.message });
      }
    });
    if (issues.length) throw new EventDecodeError('the batch holds invalid events', issues);
    return { mode: 'batch', events };
  }
  if (ct.startsWith('application/cloudevents')) {
    if (!ct.startsWith('application/cloudevents+json')) throw new EventDecodeError(`unsupported structured format ${contentType}; only application/cloudevents+json`);
    return { mode: 'structured', event: decodeStructuredObject(parseJson(body, 'structured event')) };
  }
  return { mode: 'binary', event: decodeBinary(headers, contentType, body) };
}

/** Lowercase letters and digits only (the spec's attribute names), without a regex per header. */
function isAttributeName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/**
 * Binary mode. Runs once per delivered event, so the context attributes live in an object of fixed
 * shape filled by a switch (not a dictionary keyed by header name), names are checked without a
 * regex, and the ce- prefix is tested on char codes before anything is sliced.
 */
function decodeBinary(headers: HeaderBag, contentType: string | undefined, body: Buffer): DecodedEvent {
  const attrs: BinaryAttrs = { specversion: undefined, id: undefined, source: undefined, type: undefined, subject: undefined, time: undefined, dataschema: undefined };
  const extensions: Record<string, string> = {};
  let issues: ProblemIssue[] | undefined;
  for (const key in headers) {
    // Node lowercases header names; `ce-` is matched case-insensitively for other callers.
    if (key.length < 4 || (key.charCodeAt(0) | 32) !== 99 || (key.charCodeAt(1) | 32) !== 101 || key.charCodeAt(2) !== 45) continue;
    const raw = header(headers, key);
    if (raw === undefined) continue;
    let name = key.slice(3);
    if (!isAttributeName(name)) {
      name = name.toLowerCase();
      if (!isAttributeName(name)) {
        (issues ??= []).push({ path: key, message: 'attribute names must be lowercase letters and digits' });
        continue;
      }
    }
    if (name === 'datacontenttype') continue; // the spec forbids it in binary mode; Content-Type is authoritative
    const value = decodeHeaderValue(raw);
    if (value === undefined) {
      (issues ??= []).push({ path: key, message: 'invalid percent-encoding' });
      continue;
    }
    if (value.length > MAX_ATTR_LENGTH) {
      (issues ??= []).push({ path: key, message: `longer than ${MAX_ATTR_LENGTH} characters` });
      continue;
    }
    switch (name) {
      case 'specversion':
      case 'id':
      case 'source':
      case 'type':
      case 'subject':
      case 'time':
      case 'dataschema':
        attrs[name] = value;
        break;
      default:
        extensions[name] = value;
    }
  }
  if (attrs.specversion === undefined && attrs.id === undefined && attrs.type === undefined) {
    throw new EventDecodeError('not a CloudEvent: binary mode needs ce-specversion, ce-id, ce-source and ce-type headers (or use a structured content type)');
  }
  issues = checkRequired(attrs, issues, binaryLabel);
  if (issues) throw new EventDecodeError('invalid CloudEvent attributes', issues);
  let data: unknown;
  if (body.length > 0) {
    data = isJsonMediaType(contentType) ? parseJson(body, 'data') : body;
  }
  // Built field by field (no conditional spreads): this runs once per request.
  const ev: DecodedEvent = { id: attrs.id!, source: attrs.source!, type: attrs.type!, specversion: '1.0', data, extensions };
  if (attrs.subject !== undefined) ev.subject = attrs.subject;
  if (attrs.time !== undefined) ev.time = attrs.time;
  if (attrs.dataschema !== undefined) ev.dataschema = attrs.dataschema;
  if (contentType) ev.datacontenttype = contentType;
  return ev;
}

interface BinaryAttrs {
  specversion: string | undefined;
  id: string | undefined;
  source: string | undefined;
  type: string | undefined;
  subject: string | undefined;
  time: string | undefined;
  dataschema: string | undefined;
}

type RequiredAttrs = Readonly<{ specversion?: string | undefined; id?: string | undefined; source?: string | undefined; type?: string | undefined; time?: string | undefined }>;

const binaryLabel = (n: string): string => `ce-${n}`;
const structuredLabel = (n: string): string => n;

/** Issues of the required attributes and time, appended to `issues`; undefined when there are none. */
function checkRequired(attrs: RequiredAttrs, issues: ProblemIssue[] | undefined, label: (n: string) => string): ProblemIssue[] | undefined {
  if (attrs.specversion === undefined) (issues ??= []).push({ path: label('specversion'), message: 'required' });
  else if (attrs.specversion !== '1.0') (issues ??= []).push({ path: label('specversion'), message: `unsupported specversion ${JSON.stringify(attrs.specversion)}; only 1.0` });
  if (attrs.id === undefined || attrs.id === '') (issues ??= []).push({ path: label('id'), message: 'required, non-empty' });
  if (attrs.source === undefined || attrs.source === '') (issues ??= []).push({ path: label('source'), message: 'required, non-empty' });
  if (attrs.type === undefined || attrs.type === '') (issues ??= []).push({ path: label('type'), message: 'required, non-empty' });
  if (attrs.time !== undefined && !RFC3339.test(attrs.time)) (issues ??= []).push({ path: label('time'), message: 'must be an RFC 3339 timestamp' });
  return issues;
}

function decodeStructuredObject(v: unknown): DecodedEvent {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EventDecodeError('a structured event must be a JSON object');
  const obj = v as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  const extensions: Record<string, string> = {};
  const issues: ProblemIssue[] = [];
  for (const [name, value] of Object.entries(obj)) {
    if (name === 'data' || name === 'data_base64') continue;
    if (!NAME.test(name)) {
      issues.push({ path: name, message: 'attribute names must be lowercase letters and digits' });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (SPEC_ATTRS.has(name)) {
      if (typeof value !== 'string') {
        issues.push({ path: name, message: 'must be a string' });
        continue;
      }
      attrs[name] = value;
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      extensions[name] = String(value);
    } else {
      issues.push({ path: name, message: 'extension values must be strings, numbers or booleans' });
    }
  }
  const required = checkRequired(attrs, undefined, structuredLabel);
  if (required) issues.push(...required);
  if ('data' in obj && 'data_base64' in obj) issues.push({ path: 'data_base64', message: 'data and data_base64 are mutually exclusive' });
  let data: unknown = obj.data;
  if (obj.data_base64 !== undefined && obj.data_base64 !== null) {
    if (typeof obj.data_base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(obj.data_base64)) {
      issues.push({ path: 'data_base64', message: 'must be a base64 string' });
    } else {
      const bytes = Buffer.from(obj.data_base64, 'base64');
      data = isJsonMediaType(attrs.datacontenttype) && bytes.length > 0 ? tryJson(bytes, issues) : bytes;
    }
  }
  if (issues.length) throw new EventDecodeError('invalid CloudEvent', issues);
  return {
    id: attrs.id!,
    source: attrs.source!,
    type: attrs.type!,
    specversion: '1.0',
    ...(attrs.subject !== undefined ? { subject: attrs.subject } : {}),
    ...(attrs.time !== undefined ? { time: attrs.time } : {}),
    ...(attrs.dataschema !== undefined ? { dataschema: attrs.dataschema } : {}),
    ...(attrs.datacontenttype !== undefined ? { datacontenttype: attrs.datacontenttype } : {}),
    data,
    extensions,
  };
}

function tryJson(bytes: Buffer, issues: ProblemIssue[]): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    issues.push({ path: 'data_base64', message: 'decoded data is not valid JSON although datacontenttype says JSON' });
    return undefined;
  }
}

function parseJson(body: Buffer, what: string): unknown {
  if (body.length === 0) throw new EventDecodeError(`${what}: empty body`);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new EventDecodeError(`${what} is not valid JSON`);
  }
}

/** Percent-decoding per the HTTP binding (also accepting a quoted-string form). */
export function decodeHeaderValue(raw: string): string | undefined {
  let v = raw;
  if (v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
  if (v.indexOf('%') === -1) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return undefined;
  }
}

/**
 * Percent-encode a header value: space, double quote, percent and anything outside printable ASCII
 * are encoded as UTF-8 bytes in uppercase hex, as the HTTP binding requires.
 */
export function encodeHeaderValue(v: string): string {
  let safe = true;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x25) {
      safe = false;
      break;
    }
  }
  if (safe) return v;
  let out = '';
  for (const b of Buffer.from(v, 'utf8')) {
    out += b <= 0x20 || b >= 0x7f || b === 0x22 || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/** The attributes of an outgoing event, as the cloudevents SDK's CloudEvent exposes them. */
export interface OutgoingEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly specversion?: string;
  readonly time?: string | undefined;
  readonly subject?: string | undefined;
  readonly dataschema?: string | undefined;
  readonly datacontenttype?: string | undefined;
  readonly data?: unknown;
  readonly data_base64?: string | undefined;
}

const NOT_HEADERS = new Set(['data', 'data_base64', 'datacontenttype', 'datacontentencoding', 'schemaurl']);

export interface BinaryMessage {
  headers: Record<string, string>;
  body: string | Buffer;
}

/**
 * Binary-mode encoding (what Knative puts on the wire). `overrides` replace or add attributes
 * (trace context, K_CE_OVERRIDES extensions) without cloning the frozen SDK event.
 */
export function encodeBinary(ev: OutgoingEvent, overrides?: Readonly<Record<string, string | undefined>>): BinaryMessage {
  const headers: Record<string, string> = {};
  const src = ev as unknown as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    if (NOT_HEADERS.has(key)) continue;
    const v = src[key];
    if (v === undefined || v === null || (overrides && key in overrides)) continue;
    headers[`ce-${key}`] = encodeHeaderValue(v instanceof Date ? v.toISOString() : String(v));
  }
  if (!headers['ce-specversion']) headers['ce-specversion'] = '1.0';
  if (overrides) {
    for (const key in overrides) {
      const v = overrides[key];
      if (v !== undefined) headers[`ce-${key}`] = encodeHeaderValue(v);
    }
  }
  let body: string | Buffer;
  let contentType = ev.datacontenttype;
  if (ev.data_base64 !== undefined && ev.data === undefined) body = Buffer.from(ev.data_base64, 'base64');
  else if (ev.data === undefined) body = '';
  else if (Buffer.isBuffer(ev.data) || ev.data instanceof Uint8Array) body = Buffer.from(ev.data);
  else if (typeof ev.data === 'string' && contentType !== undefined && !isJsonMediaType(contentType)) body = ev.data;
  else {
    body = JSON.stringify(ev.data);
    contentType ??= 'application/json';
  }
  if (contentType) headers['content-type'] = contentType;
  return { headers, body };
}
