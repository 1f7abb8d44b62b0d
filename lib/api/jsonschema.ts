/**
 * zod → OpenAPI v3 *structural* schema (the dialect of CRD validation, which kubectl and the
 * apiserver's OpenAPI tooling understand):
 *
 * - every node has a `type`, or `x-kubernetes-preserve-unknown-fields` / `x-kubernetes-int-or-string`;
 * - `properties` and `additionalProperties` never appear together, and `additionalProperties: false`
 *   never appears (unknown fields are pruned/kept by policy, not rejected by the schema);
 * - no `$ref`, no `$defs`, no `anyOf` of different types: kubectl explain walks plain trees;
 * - open-ended objects (zod `.loose()`) become `x-kubernetes-preserve-unknown-fields: true`.
 *
 * Defaults are dropped: an OpenAPI default promises server-side defaulting, which we don't do.
 */
import { z } from 'zod';
import { API_VERSION, type KindName } from './constants.js';
import { SPEC_SCHEMAS } from './schemas.js';

export type JsonSchema = Record<string, unknown>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Convert a JSON Schema produced by `z.toJSONSchema(..., { target: 'openapi-3.0' })`. */
export function toStructural(root: JsonSchema): JsonSchema {
  const defs: JsonSchema = {
    ...(isObj(root.$defs) ? root.$defs : {}),
    ...(isObj(root.definitions) ? root.definitions : {}),
  };
  const resolving = new Set<string>();

  const conv = (node: unknown): JsonSchema => {
    if (!isObj(node)) return { [PRESERVE]: true };
    if (typeof node.$ref === 'string') {
      const name = node.$ref.replace(/^#\/(\$defs|definitions)\//, '');
      const target = defs[name];
      // A cycle (recursive type) cannot be inlined: leave that subtree open.
      if (!isObj(target) || resolving.has(name)) return { [PRESERVE]: true, ...desc(node) };
      resolving.add(name);
      try {
        return { ...conv(target), ...desc(node) };
      } finally {
        resolving.delete(name);
      }
    }
    const union = (node.anyOf ?? node.oneOf) as unknown;
    if (Array.isArray(union)) {
      const branches = union.filter(isObj);
      const types = new Set(branches.map((b) => b.type));
      if (types.size === 2 && types.has('string') && types.has('integer'))
        return { 'x-kubernetes-int-or-string': true, ...desc(node) };
      const nonNull = branches.filter(
        (b) => b.type !== 'null' && !(b.nullable === true && Object.keys(b).length === 1),
      );
      if (nonNull.length === 1) return { ...conv(nonNull[0]), nullable: true, ...desc(node) };
      return { [PRESERVE]: true, ...desc(node) };
    }
    if (Array.isArray(node.allOf) && node.allOf.length === 1)
      return { ...conv(node.allOf[0]), ...desc(node) };

    const out: JsonSchema = {};
    for (const k of [
      'description',
      'nullable',
      'enum',
      'format',
      'pattern',
      'minLength',
      'maxLength',
      'minItems',
      'maxItems',
    ])
      if (node[k] !== undefined) out[k] = node[k];
    const type = node.type;
    if (type === 'integer') {
      out.type = 'integer';
      out.format ??= 'int64';
      if (typeof node.minimum === 'number' && node.minimum > -MAX_SAFE) out.minimum = node.minimum;
      if (typeof node.maximum === 'number' && node.maximum < MAX_SAFE) out.maximum = node.maximum;
      return out;
    }
    if (type === 'number') {
      out.type = 'number';
      if (typeof node.minimum === 'number') out.minimum = node.minimum;
      if (typeof node.maximum === 'number') out.maximum = node.maximum;
      return out;
    }
    if (type === 'string' || type === 'boolean') {
      out.type = type;
      return out;
    }
    if (type === 'array') {
      out.type = 'array';
      out.items = conv(node.items);
      return out;
    }
    if (type === 'object' || isObj(node.properties)) {
      out.type = 'object';
      const ap = node.additionalProperties;
      const apOpen = ap === true || (isObj(ap) && Object.keys(ap).length === 0);
      if (isObj(node.properties)) {
        const props: JsonSchema = {};
        for (const [k, v] of Object.entries(node.properties)) props[k] = conv(v);
        out.properties = props;
        if (Array.isArray(node.required) && node.required.length) out.required = [...node.required];
        if (apOpen) out[PRESERVE] = true;
      } else if (apOpen || ap === undefined) {
        out[PRESERVE] = true;
      } else if (isObj(ap)) {
        out.additionalProperties = conv(ap);
      }
      return out;
    }
    // `{}` / z.unknown(): any JSON value.
    return { [PRESERVE]: true, ...desc(node) };
  };
  return conv(root);
}

const desc = (n: JsonSchema): JsonSchema =>
  typeof n.description === 'string' ? { description: n.description } : {};

/** Structural JSON Schema of a zod schema (validated as client input: defaults make fields optional). */
export function zodToStructural(schema: z.ZodType): JsonSchema {
  const js = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return toStructural(js);
}

const KIND_DESCRIPTIONS: Record<KindName, string> = {
  ConfigurationScanSummary:
    'Posture summary of one namespace (cluster-scoped, name = namespace), computed from its WorkloadConfigurationScanSummaries.',
  SBOMSPDXv2p3: 'SPDX 2.3 software bill of materials of one image.',
  SBOMSPDXv2p3Filtered: 'SBOM of one container reduced to the files used at runtime.',
  SBOMSummary: 'Light view of an SBOMSPDXv2p3 (same namespace and name) without the document.',
  VulnerabilityManifest:
    'Vulnerability scan result (Grype document) of one image, or of one container when filtered.',
  VulnerabilityManifestSummary: 'Vulnerability counts per severity of one workload container.',
  VulnerabilitySummary:
    'Vulnerability summary of one namespace (cluster-scoped, name = namespace), computed from its VulnerabilityManifestSummaries.',
  WorkloadConfigurationScan: 'Posture scan result (controls and their rules) of one Kubernetes resource.',
  WorkloadConfigurationScanSummary: 'Failed controls per severity of one Kubernetes resource.',
};

const SPEC_DESCRIPTION = 'The result payload (Kubescape-compatible field tree).';

const objectSchemas = new Map<KindName, JsonSchema>();

/**
 * Structural schema of a whole object of one of the API's kinds. `metadata` is left to the server.
 * Computed once per kind (zod → JSON Schema is not free) and shared: treat it as read-only.
 */
export function objectSchema(kind: KindName): JsonSchema {
  let s = objectSchemas.get(kind);
  if (!s) objectSchemas.set(kind, (s = buildObjectSchema(kind)));
  return s;
}

function buildObjectSchema(kind: KindName): JsonSchema {
  const def = SPEC_SCHEMAS[kind];
  const properties: JsonSchema = {
    apiVersion: {
      type: 'string',
      description: `APIVersion defines the versioned schema of this representation of an object: ${API_VERSION}.`,
    },
    kind: { type: 'string', description: `Kind is the type of this object: ${kind}.` },
    metadata: { type: 'object', description: "Standard object's metadata." },
    spec: { description: SPEC_DESCRIPTION, ...zodToStructural(def.spec) },
  };
  if (def.status)
    properties.status = { type: 'object', [PRESERVE]: true, description: 'Unused; kept for compatibility.' };
  const out: JsonSchema = { type: 'object', description: KIND_DESCRIPTIONS[kind], properties };
  if (def.specRequired) out.required = ['spec'];
  return out;
}
