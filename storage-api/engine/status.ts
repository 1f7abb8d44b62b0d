/**
 * metav1.Status errors, and the single place where store errors become HTTP errors.
 *
 * Every non-2xx answer of the engine is a `StatusError` rendered as a `Status` object, because
 * kubectl and client-go read `reason`, `code` and `details` (not the HTTP text) to decide what to do:
 * `IsNotFound`, `IsConflict`, `IsAlreadyExists`, `IsResourceExpired`, retry after `retryAfterSeconds`.
 */
import {
  AlreadyExistsError,
  BadContinueError,
  ConflictError,
  GoneError,
  NotFoundError,
  UnavailableError,
} from '../store/types.js';
import type { ResourceDefinition } from '../registry/types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServerTimeout'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `<plural>.<group>` as kube-apiserver names a resource in messages (`pods` for the core group). */
export function qualifiedResource(def: Pick<ResourceDefinition, 'group' | 'plural'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

/** Details naming the object, as kube-apiserver sets them (the `kind` field holds the plural). */
function objDetails(def: Pick<ResourceDefinition, 'group' | 'plural'>, name: string): StatusDetails {
  return { name, group: def.group, kind: def.plural };
}

export const badRequest = (message: string, details?: StatusDetails): StatusError =>
  new StatusError(400, 'BadRequest', message, details);

export const notFoundPath = (): StatusError =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

export const notFound = (def: Pick<ResourceDefinition, 'group' | 'plural'>, name: string): StatusError =>
  new StatusError(404, 'NotFound', `${qualifiedResource(def)} "${name}" not found`, objDetails(def, name));

export const alreadyExists = (def: Pick<ResourceDefinition, 'group' | 'plural'>, name: string): StatusError =>
  new StatusError(
    409,
    'AlreadyExists',
    `${qualifiedResource(def)} "${name}" already exists`,
    objDetails(def, name),
  );

export const conflict = (
  def: Pick<ResourceDefinition, 'group' | 'plural'>,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
  causes?: StatusCause[],
): StatusError =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`, {
    ...objDetails(def, name),
    ...(causes ? { causes } : {}),
  });

export const methodNotAllowed = (message: string, def?: ResourceDefinition, name?: string): StatusError =>
  new StatusError(405, 'MethodNotAllowed', message, def ? objDetails(def, name ?? '') : {});

export const notAcceptable = (message: string): StatusError => new StatusError(406, 'NotAcceptable', message, {});

export const unsupportedMediaType = (contentType: string, accepted: string[]): StatusError =>
  new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}` +
      (contentType ? ` (got ${contentType})` : ''),
    {},
  );

export const tooLarge = (limit: number): StatusError =>
  new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`, {});

export const tooManyRequests = (): StatusError =>
  new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });

export const timeout = (message = 'request did not complete within the allowed duration'): StatusError =>
  new StatusError(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds: 1 });

export const internalError = (): StatusError =>
  new StatusError(500, 'InternalError', 'Internal error occurred: the server could not complete the request (see server log)', {});

/**
 * 422 Invalid, message formatted as kube-apiserver does:
 * `Kind.group "name" is invalid: field: Reason: detail` (several causes in `[a, b]`).
 */
export function invalid(
  def: Pick<ResourceDefinition, 'group' | 'kind'>,
  name: string,
  causes: StatusCause[],
): StatusError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  const gk = def.group ? `${def.kind}.${def.group}` : def.kind;
  return new StatusError(422, 'Invalid', `${gk} "${name}" is invalid: ${joined}`, {
    name,
    group: def.group,
    kind: def.kind,
    causes,
  });
}

/** What the caller was doing when a store error happened; decides how GoneError reads. */
export type StoreErrorContext = 'read' | 'write' | 'list-continue' | 'list-exact';

/**
 * The one mapping of store errors to API errors. Unknown errors are returned unchanged (they become
 * a logged 500 at the top of the request).
 */
export function fromStoreError(
  e: unknown,
  def: Pick<ResourceDefinition, 'group' | 'plural'>,
  name: string,
  ctx: StoreErrorContext = 'read',
): unknown {
  if (e instanceof StatusError) return e;
  if (e instanceof NotFoundError) return notFound(def, name);
  if (e instanceof AlreadyExistsError) return alreadyExists(def, name);
  if (e instanceof ConflictError) {
    // Preconditions carry their own explanation ("Precondition failed: UID in precondition ...").
    const msg = /precondition/i.test(e.message) ? e.message : undefined;
    return conflict(def, name, msg);
  }
  if (e instanceof GoneError) {
    if (ctx === 'list-continue')
      return new StatusError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        {},
      );
    if (ctx === 'list-exact')
      return new StatusError(410, 'Gone', 'The resourceVersion for the provided list is too old.', {});
    return new StatusError(410, 'Expired', e.message || 'too old resource version', {});
  }
  if (e instanceof BadContinueError) return badRequest(`continue key is not valid: ${e.message}`);
  // The store reports a read at a resourceVersion it has not reached yet as a kind of unavailability.
  if (e instanceof UnavailableError && e.name === 'TooLargeResourceVersionError')
    return timeout(`Too large resource version: ${e.message}`);
  if (e instanceof UnavailableError)
    return new StatusError(503, 'ServiceUnavailable', 'the storage backend is unavailable, please try again later', {
      retryAfterSeconds: 1,
    });
  return e;
}
