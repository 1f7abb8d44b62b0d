/**
 * Standard Webhooks (https://www.standardwebhooks.com/) signing and verification, shared by the
 * export function (signs deliveries to the provider) and the control function (verifies commands
 * from the provider).
 *
 * - Secrets are `whsec_<base64>`; several may be configured at once so a secret can be rotated.
 * - Headers: `webhook-id`, `webhook-timestamp` (unix seconds), `webhook-signature` (space-separated
 *   `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`).
 * - Comparison is constant time (`timingSafeEqual` on equal-length digests).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookErrorCode =
  | 'invalid-secret'
  | 'missing-headers'
  | 'bad-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-too-new'
  | 'no-matching-signature';

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
  ) {
    super(message);
  }
}
export class InvalidSecretError extends WebhookVerificationError {
  override name = 'InvalidSecretError';
  constructor(message: string) {
    super('invalid-secret', message);
  }
}
export class MissingHeadersError extends WebhookVerificationError {
  override name = 'MissingHeadersError';
  constructor(readonly missing: string[]) {
    super('missing-headers', `missing header(s): ${missing.join(', ')}`);
  }
}
export class BadTimestampError extends WebhookVerificationError {
  override name = 'BadTimestampError';
  constructor(value: string) {
    super('bad-timestamp', `webhook-timestamp ${JSON.stringify(value.slice(0, 32))} is not unix seconds`);
  }
}
export class TimestampTooOldError extends WebhookVerificationError {
  override name = 'TimestampTooOldError';
  constructor(skew: number, tolerance: number) {
    super('timestamp-too-old', `webhook-timestamp is ${skew} s in the past (tolerance ${tolerance} s)`);
  }
}
export class TimestampTooNewError extends WebhookVerificationError {
  override name = 'TimestampTooNewError';
  constructor(skew: number, tolerance: number) {
    super('timestamp-too-new', `webhook-timestamp is ${skew} s in the future (tolerance ${tolerance} s)`);
  }
}
export class NoMatchingSignatureError extends WebhookVerificationError {
  override name = 'NoMatchingSignatureError';
  constructor() {
    super('no-matching-signature', 'no webhook-signature matches any configured secret');
  }
}

/** Decode a `whsec_<base64>` secret (a bare base64 string is accepted too) into key bytes. */
export function decodeSecret(secret: string): Buffer {
  const s = secret.trim();
  const b64 = s.startsWith(SECRET_PREFIX) ? s.slice(SECRET_PREFIX.length) : s;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new InvalidSecretError('webhook secret must be whsec_<base64>');
  const key = Buffer.from(b64, 'base64');
  if (key.length < 16) throw new InvalidSecretError(`webhook secret is too short (${key.length} bytes; at least 16 expected)`);
  return key;
}

/** Parse a comma-separated list of secrets (rotation: old and new accepted at once). */
export function parseSecrets(value: string | undefined): Buffer[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(decodeSecret);
}

/** A fresh random secret in `whsec_` form. */
export function generateSecret(bytes = 32): string {
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

type Key = string | Buffer;
const keyOf = (k: Key): Buffer => (typeof k === 'string' ? decodeSecret(k) : k);

function digest(key: Buffer, id: string, timestamp: number | string, body: string | Buffer): Buffer {
  const h = createHmac('sha256', key);
  h.update(`${id}.${timestamp}.`);
  h.update(body);
  return h.digest();
}

/** The `webhook-signature` value for one secret: `v1,<base64>`. */
export function sign(secret: Key, id: string, timestamp: number, body: string | Buffer): string {
  return `v1,${digest(keyOf(secret), id, timestamp, body).toString('base64')}`;
}

export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** All three headers; with several secrets, one signature per secret (space separated). */
export function signHeaders(secrets: Key | readonly Key[], id: string, timestamp: number, body: string | Buffer): SignedHeaders {
  const list = Array.isArray(secrets) ? (secrets as readonly Key[]) : [secrets as Key];
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': list.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(h: HeaderSource, name: string): string | undefined {
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const rec = h as Record<string, string | string[] | undefined>;
  let v = rec[name];
  if (v === undefined) {
    const k = Object.keys(rec).find((x) => x.toLowerCase() === name);
    if (k !== undefined) v = rec[k];
  }
  return Array.isArray(v) ? v[0] : v;
}

export interface VerifyOptions {
  /** Accepted clock skew both ways, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Current time (ms since epoch or Date); defaults to Date.now(). */
  now?: number | Date;
}

export interface VerifiedWebhook {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  /** Index of the secret that matched (rotation diagnostics). */
  secretIndex: number;
}

/**
 * Verify a delivery. Throws a WebhookVerificationError subclass; checks headers, then the
 * timestamp window, then the signatures (any `v1` entry matching any secret is enough).
 */
export function verify(headers: HeaderSource, body: string | Buffer, secrets: readonly Key[], opts: VerifyOptions = {}): VerifiedWebhook {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sig = header(headers, 'webhook-signature');
  const missing = [
    ...(id ? [] : ['webhook-id']),
    ...(ts ? [] : ['webhook-timestamp']),
    ...(sig ? [] : ['webhook-signature']),
  ];
  if (missing.length || !id || !ts || !sig) throw new MissingHeadersError(missing);
  if (!/^\d{1,15}$/.test(ts)) throw new BadTimestampError(ts);
  const timestamp = Number(ts);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowMs = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const nowS = Math.floor(nowMs / 1000);
  if (timestamp < nowS - tolerance) throw new TimestampTooOldError(nowS - timestamp, tolerance);
  if (timestamp > nowS + tolerance) throw new TimestampTooNewError(timestamp - nowS, tolerance);

  const candidates: Buffer[] = [];
  for (const part of sig.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const b64 = part.slice(comma + 1);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    candidates.push(Buffer.from(b64, 'base64'));
    if (candidates.length >= 16) break;
  }
  const keys = secrets.map(keyOf);
  let matched = -1;
  keys.forEach((key, i) => {
    const expected = digest(key, id, ts, body);
    for (const c of candidates) {
      // Compare every candidate (no early exit) so timing does not reveal which one matched.
      if (c.length === expected.length && timingSafeEqual(c, expected) && matched < 0) matched = i;
    }
  });
  if (matched < 0) throw new NoMatchingSignatureError();
  return { id, timestamp, secretIndex: matched };
}
