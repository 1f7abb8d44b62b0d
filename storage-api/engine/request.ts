/**
 * Per-request context and query-parameter parsing shared by the verb handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from '../auth/types.js';
import type { ResourceDefinition } from '../registry/types.js';
import type { FieldRequirement, LabelRequirement } from '../store/types.js';
import { parseFieldSelector, parseLabelSelector } from '../query/selectors.js';
import type { ObjectOutput } from './negotiate.js';
import { badRequest, StatusError } from './status.js';
import { isRv } from './objects.js';
import type { IncludeObject } from './table.js';

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  def: ResourceDefinition;
  namespace?: string;
  name?: string;
  out: ObjectOutput;
  user?: UserInfo;
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

export function selectors(q: URLSearchParams): { labels?: LabelRequirement[]; fields?: FieldRequirement[] } {
  const out: { labels?: LabelRequirement[]; fields?: FieldRequirement[] } = {};
  try {
    const ls = q.get('labelSelector');
    if (ls) out.labels = parseLabelSelector(ls);
    const fs = q.get('fieldSelector');
    if (fs) out.fields = parseFieldSelector(fs);
  } catch (e) {
    // Selector syntax errors are the client's: 400 with the parser's kube-like message, never 500.
    throw badRequest(e instanceof Error ? e.message : String(e));
  }
  return out;
}

export function dryRun(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  if (vals.length === 0) return false;
  for (const v of vals)
    if (v !== 'All' && v !== '')
      throw new StatusError(400, 'BadRequest', `dryRun: Unsupported value: "${v}": supported values: "All"`, {});
  return vals.includes('All');
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Warn", "Strict"`);
}

export function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

export function resourceVersionParam(q: URLSearchParams): string | undefined {
  const rv = q.get('resourceVersion');
  if (rv === null || rv === '') return undefined;
  if (!isRv(rv)) throw badRequest(`invalid resource version: "${rv}"`);
  return rv;
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name}: Invalid value: "${v}": must be a non-negative integer`);
  return Number(v);
}

/** The field manager: explicit `fieldManager`, else the client program name from User-Agent, as kube does. */
export function fieldManager(req: IncomingMessage, q: URLSearchParams): string {
  const m = q.get('fieldManager');
  if (m) {
    if (m.length > 128) throw badRequest('fieldManager: Too long: may not be more than 128 bytes');
    return m;
  }
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}

/** The parts of a request URL the engine reads. */
export interface RequestUrl {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

// A path WHATWG URL parsing returns unchanged: only characters outside its path percent-encode
// set and outside `%` and `\`, no dot segments, and not `//` (which would start an authority).
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const DOT_SEGMENT = /\/\.{1,2}(?:\/|$)/;
// A query URLSearchParams reads the same as URL would: printable ASCII without `#` (a fragment).
const PLAIN_QUERY = /^[\x21\x22\x24-\x7e]*$/;

/**
 * Path and query of `req.url`. The common request (a plain path and query) skips building a
 * WHATWG URL, ~1 % of a create's CPU; anything unusual (percent-escapes, dot segments, `//`,
 * fragments, non-ASCII) goes through `new URL`, which normalises it exactly as before.
 */
export function requestUrl(raw: string | undefined): RequestUrl {
  const s = raw ?? '/';
  const q = s.indexOf('?');
  const path = q < 0 ? s : s.slice(0, q);
  const query = q < 0 ? '' : s.slice(q + 1);
  if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && PLAIN_QUERY.test(query)) return { pathname: path, searchParams: new URLSearchParams(query) };
  return new URL(s, 'http://localhost');
}
