/**
 * Continue tokens: base64url(JSON) of the snapshot RV, the last key returned, and the resource, so
 * a token replayed against another collection is rejected instead of silently mis-paging.
 * Opaque to clients; validated strictly on decode (BadContinueError → 400).
 */
import { BadContinueError } from './types.js';

export interface ContinueToken {
  /** Snapshot resourceVersion of the first page. */
  rv: string;
  resource: string;
  namespace: string;
  name: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: t.rv, r: t.resource, ns: t.namespace, n: t.name })).toString('base64url');
}

const DECIMAL = /^(0|[1-9][0-9]{0,17})$/;

export function decodeContinue(token: string, resource: string): ContinueToken {
  let raw: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw new Error('not base64url');
    raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new BadContinueError('continue token is not valid');
  }
  const o = raw as Record<string, unknown> | null;
  if (
    !o ||
    typeof o !== 'object' ||
    o.v !== 1 ||
    typeof o.rv !== 'string' ||
    !DECIMAL.test(o.rv) ||
    typeof o.r !== 'string' ||
    typeof o.ns !== 'string' ||
    typeof o.n !== 'string'
  )
    throw new BadContinueError('continue token is not valid');
  if (o.r !== resource) throw new BadContinueError('continue token was issued for another resource');
  return { rv: o.rv, resource: o.r, namespace: o.ns, name: o.n };
}
