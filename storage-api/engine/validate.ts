/**
 * Object validation: ObjectMeta rules (names, labels, annotations), the kind's JSON schema (ajv,
 * compiled once per kind), the kind's own semantic checks, and unknown-field detection for
 * `fieldValidation`. Every problem becomes a `StatusCause` naming the field, so a 422 tells the
 * user exactly what to fix (`spec.controls.C-0017.status: Invalid value ...`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { KubeObject, ResourceDefinition } from '../registry/types.js';
import type { StatusCause } from './status.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const TOTAL_ANNOTATION_BYTES = 256 * 1024;

export function isDnsSubdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}
export function isDnsLabel(s: string): boolean {
  return s.length > 0 && s.length <= 63 && DNS1123_LABEL.test(s);
}

const quote = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? 'null' : s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

export function nameCauses(name: string, field = 'metadata.name'): StatusCause[] {
  if (!name) return [{ reason: 'FieldValueRequired', field, message: 'Required value: name or generateName is required' }];
  if (isDnsSubdomain(name)) return [];
  return [
    {
      reason: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${quote(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    },
  ];
}

function qualifiedNameCauses(key: string, field: string): StatusCause[] {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const bad =
    (prefix !== undefined && !isDnsSubdomain(prefix)) || name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name);
  return bad
    ? [
        {
          reason: 'FieldValueInvalid',
          field,
          message: `Invalid value: ${quote(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters, with an optional DNS subdomain prefix and '/'`,
        },
      ]
    : [];
}

/** ObjectMeta checks that do not depend on the kind (name is checked separately: generateName). */
export function metadataCauses(meta: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = [];
  const labels = meta.labels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels))
      causes.push({ reason: 'FieldValueTypeInvalid', field: 'metadata.labels', message: 'Invalid value: must be a map of strings' });
    else
      for (const [k, v] of Object.entries(labels)) {
        causes.push(...qualifiedNameCauses(k, `metadata.labels`));
        if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
          causes.push({
            reason: 'FieldValueInvalid',
            field: `metadata.labels`,
            message: `Invalid value: ${quote(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters`,
          });
      }
  }
  const ann = meta.annotations;
  if (ann !== undefined && ann !== null) {
    if (typeof ann !== 'object' || Array.isArray(ann))
      causes.push({ reason: 'FieldValueTypeInvalid', field: 'metadata.annotations', message: 'Invalid value: must be a map of strings' });
    else {
      let total = 0;
      for (const [k, v] of Object.entries(ann)) {
        causes.push(...qualifiedNameCauses(k.toLowerCase(), 'metadata.annotations'));
        if (typeof v !== 'string')
          causes.push({ reason: 'FieldValueTypeInvalid', field: `metadata.annotations`, message: `Invalid value: annotation ${quote(k)} must be a string` });
        else total += k.length + v.length;
      }
      if (total > TOTAL_ANNOTATION_BYTES)
        causes.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: must have at most ${TOTAL_ANNOTATION_BYTES} bytes` });
    }
  }
  for (const f of ['finalizers'] as const) {
    const v = meta[f];
    if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
      causes.push({ reason: 'FieldValueTypeInvalid', field: `metadata.${f}`, message: 'Invalid value: must be a list of strings' });
  }
  return causes;
}

/** ajv instancePath `/spec/controls/C-0017/rules/0` → kube field path `spec.controls.C-0017.rules[0]`. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function valueAt(obj: unknown, instancePath: string): unknown {
  let cur: unknown = obj;
  for (const raw of instancePath.split('/').slice(1)) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function causeOf(e: ErrorObject, obj: unknown): StatusCause {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { reason: 'FieldValueRequired', field: fieldPath(e.instancePath, String(params.missingProperty)), message: 'Required value' };
    case 'type': {
      const field = fieldPath(e.instancePath);
      const v = valueAt(obj, e.instancePath);
      return {
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${quote(v)}: ${field || 'body'} in body must be of type ${String(params.type)}`,
      };
    }
    case 'enum':
      return {
        reason: 'FieldValueNotSupported',
        field: fieldPath(e.instancePath),
        message: `Unsupported value: ${quote(valueAt(obj, e.instancePath))}: supported values: ${((params.allowedValues as unknown[]) ?? []).map(quote).join(', ')}`,
      };
    case 'additionalProperties':
      return {
        reason: 'FieldValueForbidden',
        field: fieldPath(e.instancePath, String(params.additionalProperty)),
        message: 'Forbidden: unknown field',
      };
    default:
      return {
        reason: 'FieldValueInvalid',
        field: fieldPath(e.instancePath),
        message: `Invalid value: ${quote(valueAt(obj, e.instancePath))}: ${e.message ?? e.keyword}`,
      };
  }
}

type Schema = Record<string, unknown>;

/**
 * Unknown fields per structural-schema rules: a key is unknown when its object schema lists
 * `properties`, allows no `additionalProperties` and does not set `x-kubernetes-preserve-unknown-fields`.
 */
export function unknownFields(schema: Schema | undefined, value: unknown, path = ''): string[] {
  const out: string[] = [];
  collectUnknown(schema, value, path, out);
  return out;
}

// Called on every write: one accumulator, and paths are built only for objects descended into or
// fields reported (not for every scalar leaf).
function collectUnknown(schema: Schema | undefined, value: unknown, path: string, out: string[]): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (!mayReport(schema)) return;
  if (Array.isArray(value)) {
    const items = schema.items as Schema | undefined;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') collectUnknown(items, v, `${path}[${i}]`, out);
    }
    return;
  }
  const props = schema.properties as Record<string, Schema> | undefined;
  const addl = schema.additionalProperties;
  const addlSchema = addl && typeof addl === 'object' ? (addl as Schema) : undefined;
  const reportUnknown = props !== undefined && addl !== true && schema['x-kubernetes-preserve-unknown-fields'] !== true;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const known = props !== undefined && Object.prototype.hasOwnProperty.call(props, k);
    const sub = known ? props[k] : addlSchema;
    if (sub) {
      if (v !== null && typeof v === 'object') collectUnknown(sub, v, path ? `${path}.${k}` : k, out);
    } else if (!known && reportUnknown) out.push(path ? `${path}.${k}` : k);
  }
}

const reportCache = new WeakMap<Schema, boolean>();

/**
 * Whether any value under `schema` can have an unknown field: some object schema below lists
 * `properties` without allowing more. Kube-style schemas are mostly `preserve-unknown-fields`, so
 * whole subtrees (a VulnerabilityManifest's matches) need no walk on every write. Computed once
 * per schema node; while a node is being computed it counts as "may report" (walking is always
 * correct, skipping only when proven useless).
 */
function mayReport(schema: Schema): boolean {
  const cached = reportCache.get(schema);
  if (cached !== undefined) return cached;
  reportCache.set(schema, true);
  const props = schema.properties as Record<string, Schema> | undefined;
  const addl = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  let may = false;
  if (preserve && !props) may = false;
  else if (props !== undefined && addl !== true && !preserve) may = true;
  else {
    const subs: unknown[] = [...(props ? Object.values(props) : []), addl, schema.items];
    may = subs.some((sub) => sub !== null && typeof sub === 'object' && !Array.isArray(sub) && mayReport(sub as Schema));
  }
  reportCache.set(schema, may);
  return may;
}

export class Validator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction | null>();

  constructor() {
    // strict:false tolerates `x-kubernetes-*` vendor keywords in the OpenAPI-flavoured schemas.
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI formats kube schemas use that are not JSON-Schema formats.
    for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password', 'quantity', 'int-or-string'])
      this.ajv.addFormat(f, true);
  }

  /** Compile eagerly so a broken schema fails start-up, not the first request. */
  compile(def: ResourceDefinition): void {
    const key = `${def.group}/${def.kind}`;
    if (this.compiled.has(key)) return;
    this.compiled.set(key, def.schema ? this.ajv.compile(def.schema) : null);
  }

  /** Schema + semantic causes for a whole object (metadata checks are separate). */
  validate(def: ResourceDefinition, obj: KubeObject): StatusCause[] {
    this.compile(def);
    const fn = this.compiled.get(`${def.group}/${def.kind}`);
    const causes: StatusCause[] = [];
    if (fn && !fn(obj)) {
      const seen = new Set<string>();
      for (const e of fn.errors ?? []) {
        // oneOf/anyOf produce a cascade of sub-errors; keep one line per field and message.
        const c = causeOf(e, obj);
        const k = `${c.field}|${c.message}`;
        if (!seen.has(k)) {
          seen.add(k);
          causes.push(c);
        }
      }
    }
    for (const c of def.validate?.(obj) ?? [])
      causes.push({ reason: 'FieldValueInvalid', field: c.field, message: c.message });
    return causes;
  }
}
