/**
 * JSON Patch (RFC 6902, `application/json-patch+json`) and JSON Merge Patch (RFC 7386,
 * `application/merge-patch+json`) over plain JSON objects.
 *
 * Status codes follow kube-apiserver (`pkg/endpoints/handlers/patch.go`): a patch that cannot be
 * decoded is 400 BadRequest; a well-formed patch that cannot be applied to this object (failed
 * `test`, missing path, index out of range) is 422 Invalid.
 */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

export class PatchError extends Error {
  override name = 'PatchError';
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const POINTER = /^(\/([^~/]|~[01])*)*$/;

/** Decode-time checks: shape of every operation. Failures are 400. */
function checkOperations(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw new PatchError(400, 'json patch must be an array of operations');
  ops.forEach((op: unknown, i) => {
    if (!isObject(op)) throw new PatchError(400, `json patch operation ${i} is not an object`);
    if (typeof op.op !== 'string' || !OPS.has(op.op))
      throw new PatchError(400, `json patch operation ${i}: unknown op ${JSON.stringify(op.op)}`);
    if (typeof op.path !== 'string' || !POINTER.test(op.path))
      throw new PatchError(400, `json patch operation ${i}: invalid path ${JSON.stringify(op.path)}`);
    if ((op.op === 'move' || op.op === 'copy') && (typeof op.from !== 'string' || !POINTER.test(op.from)))
      throw new PatchError(400, `json patch operation ${i}: invalid from ${JSON.stringify(op.from)}`);
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op))
      throw new PatchError(400, `json patch operation ${i}: missing value`);
  });
  return ops as Operation[];
}

/**
 * Apply an RFC 6902 patch to a copy of `doc`. `doc` is never modified. The result must still be
 * a JSON object (a patch replacing the root with a scalar is 422).
 */
export function applyJsonPatch<T extends Json>(doc: T, ops: unknown): T {
  const checked = checkOperations(ops);
  const copy = structuredClone(doc);
  let result: unknown;
  try {
    // validate=true: fast-json-patch checks each op against the document as it goes; the ops are
    // cloned because applyPatch may keep references to their values inside the document.
    result = jsonpatch.applyPatch(copy, structuredClone(checked), true, true, true).newDocument;
  } catch (e) {
    if (e instanceof jsonpatch.JsonPatchError) {
      const index = typeof e.index === 'number' ? ` (operation ${e.index})` : '';
      if (e.name === 'TEST_OPERATION_FAILED')
        throw new PatchError(422, `json patch test operation failed${index}`);
      const decodeErrors = new Set([
        'SEQUENCE_NOT_AN_ARRAY',
        'OPERATION_NOT_AN_OBJECT',
        'OPERATION_OP_INVALID',
        'OPERATION_PATH_INVALID',
        'OPERATION_FROM_REQUIRED',
        'OPERATION_VALUE_REQUIRED',
        'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
      ]);
      throw new PatchError(
        decodeErrors.has(e.name) ? 400 : 422,
        `json patch could not be applied${index}: ${firstLine(e.message)}`,
      );
    }
    // banPrototypeModifications throws a plain TypeError for `__proto__` paths.
    throw new PatchError(422, `json patch could not be applied: ${firstLine(String(e))}`);
  }
  if (!isObject(result)) throw new PatchError(422, 'json patch result is not an object');
  return result as T;
}

const firstLine = (s: string): string => s.split('\n')[0] ?? s;

/** Set a property without invoking setters (a `__proto__` key in JSON must stay data). */
function setOwn(o: Json, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function merge(target: unknown, patch: unknown): unknown {
  // Patch values are taken as they are (the patch is parsed per request): no deep copy.
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, merge(Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/**
 * Apply an RFC 7386 merge patch: objects merge recursively, `null` deletes, anything else
 * (arrays included) replaces. The patch itself must be an object (kube rejects others with 400).
 * Inputs are not modified; the result shares unchanged subtrees with `doc` and `patch`.
 */
export function applyMergePatch<T extends Json>(doc: T, patch: unknown): T {
  if (!isObject(patch)) throw new PatchError(400, 'merge patch must be a JSON object');
  return merge(doc, patch) as T;
}
