/**
 * Typed errors of image acquisition and SBOM generation. The handler maps them to the
 * `kubescape.io/status` annotation (see statusOfError) instead of parsing messages.
 */

export abstract class VulnError extends Error {
  abstract readonly code: string;
}

/** A manifest or blob whose bytes do not hash to the digest that named it. */
export class DigestMismatchError extends VulnError {
  override name = 'DigestMismatchError';
  readonly code = 'digest-mismatch';
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly what: string,
  ) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`);
  }
}

/** Compressed image size (or a single manifest/blob) above the configured limit. */
export class ImageTooLargeError extends VulnError {
  override name = 'ImageTooLargeError';
  readonly code = 'too-large';
  constructor(
    readonly size: number,
    readonly limit: number,
    what = 'image',
  ) {
    super(`${what} is ${size} bytes, above the limit of ${limit} bytes`);
  }
}

/** The registry refused our credentials (or we had none and it wants some). */
export class UnauthorizedError extends VulnError {
  override name = 'UnauthorizedError';
  readonly code = 'unauthorized';
}

/** Manifest/image not found (404 / NAME_UNKNOWN / MANIFEST_UNKNOWN) or no matching platform. */
export class NotFoundError extends VulnError {
  override name = 'NotFoundError';
  readonly code = 'not-found';
}

/** Docker schema 1, unknown media types, malformed JSON manifests. */
export class UnsupportedSchemaError extends VulnError {
  override name = 'UnsupportedSchemaError';
  readonly code = 'unsupported-schema';
}

/** Rate limited by the registry after all retries (kubevuln remembers these for 10 min). */
export class TooManyRequestsError extends VulnError {
  override name = 'TooManyRequestsError';
  readonly code = 'too-many-requests';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Any other registry/transport failure. */
export class RegistryError extends VulnError {
  override name = 'RegistryError';
  readonly code = 'registry';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A layer that is not a valid (compressed) tar stream: truncated, corrupt, bomb-like. */
export class LayerError extends VulnError {
  override name = 'LayerError';
  readonly code = 'layer';
}

/** Bad input: an unparsable reference, an unknown transport, a malformed archive. */
export class InvalidInputError extends VulnError {
  override name = 'InvalidInputError';
  readonly code = 'invalid-input';
}

/** Generation stopped by the caller's AbortSignal (scan timeout → status incomplete). */
export class AbortedError extends VulnError {
  override name = 'AbortedError';
  readonly code = 'aborted';
}
