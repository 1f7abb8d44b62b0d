/**
 * RFC 9457 problem details. Every error answer of the host is one of these, built from a fixed
 * vocabulary so no internal message or stack trace can reach a client by accident.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemIssue {
  path: string;
  message: string;
}

export interface Problem {
  /** `urn:kscape:problem:<slug>`: stable, not dereferenceable. */
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: ProblemIssue[];
}

export type ProblemKind =
  | 'invalid-event'
  | 'unsupported-type'
  | 'invalid-data'
  | 'rejected'
  | 'payload-too-large'
  | 'rate-limited'
  | 'unavailable'
  | 'timeout'
  | 'internal'
  | 'not-found'
  | 'method-not-allowed'
  | 'not-ready';

const TITLES: Record<ProblemKind, string> = {
  'invalid-event': 'The request is not a valid CloudEvent',
  'unsupported-type': 'This function does not consume this event type',
  'invalid-data': 'The event data does not match the schema of its type',
  rejected: 'The event cannot be processed',
  'payload-too-large': 'The request body is too large',
  'rate-limited': 'Too many events, retry later',
  unavailable: 'A dependency is temporarily unavailable, retry later',
  timeout: 'The event was not handled in time, retry later',
  internal: 'Internal error',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  'not-ready': 'Not ready',
};

export function problem(kind: ProblemKind, status: number, detail?: string, errors?: ProblemIssue[]): Problem {
  return {
    type: `urn:kscape:problem:${kind}`,
    title: TITLES[kind],
    status,
    ...(detail !== undefined ? { detail: truncate(detail, 2048) } : {}),
    ...(errors && errors.length ? { errors: errors.slice(0, 100) } : {}),
  };
}

/**
 * A transport-neutral HTTP answer: the hono routes turn it into a Response (`toResponse`), the
 * node:http fast path for binary-mode events (`listener.ts`) writes it to the socket directly, so
 * both paths answer byte for byte alike.
 */
export interface HostAnswer {
  status: number;
  /** Lowercase names; owned by the receiver (it may add Content-Length). */
  headers: Record<string, string>;
  body: string | Buffer;
}

export function problemAnswer(p: Problem, headers: Record<string, string> = {}): HostAnswer {
  return { status: p.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers }, body: JSON.stringify(p) };
}

/**
 * A string or Buffer body keeps @hono/node-server on its cached fast path (status, body and header
 * object written as they are, plus Content-Length); a null body would make it build a full undici
 * Response per request.
 */
export function toResponse(a: HostAnswer): Response {
  return new Response(a.body, { status: a.status, headers: a.headers });
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return toResponse(problemAnswer(p, headers));
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
