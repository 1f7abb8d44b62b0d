export { PatchError, applyJsonPatch, applyMergePatch } from './json.js';
export {
  applyServerSideApply,
  managedFieldsOf,
  parseApplyPatch,
  recordUpdateManagedFields,
  type ApplyInput,
  type ApplyResult,
  type ManagedFieldsEntry,
} from './ssa.js';
export { FieldSet, fromFieldsV1, toFieldsV1, formatPath } from './fieldset.js';

/** PATCH Content-Types the engine accepts (what OpenAPI advertises; no strategic merge patch). */
export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
  /** Accepted only for schema-less sandbox kinds (see strategic.ts); never advertised. */
  strategic: 'application/strategic-merge-patch+json',
} as const;
export { applyStrategicMergePatch } from './strategic.js';
