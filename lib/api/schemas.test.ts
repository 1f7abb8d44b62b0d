import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { KINDS, type KindName } from './constants.js';
import {
  exampleSbom,
  exampleVulnerabilityManifest,
  exampleVulnerabilityManifestSummary,
  exampleWorkloadConfigurationScan,
  exampleWorkloadConfigurationScanSummary,
} from './examples.js';
import { objectSchema, toStructural, type JsonSchema } from './jsonschema.js';
import {
  SBOMSPDXv2p3SpecSchema,
  VulnerabilityManifestSpecSchema,
  VulnerabilityManifestSummarySpecSchema,
  WorkloadConfigurationScanSpecSchema,
  WorkloadConfigurationScanSummarySpecSchema,
} from './schemas.js';

const kinds = Object.keys(KINDS) as KindName[];

/** Checks the rules of a Kubernetes structural schema; returns the paths that break them. */
function structuralViolations(s: unknown, path = ''): string[] {
  if (typeof s !== 'object' || s === null) return [`${path}: not an object`];
  const n = s as JsonSchema;
  const out: string[] = [];
  if ('$ref' in n || '$defs' in n || 'definitions' in n) out.push(`${path}: $ref/$defs`);
  if ('anyOf' in n || 'oneOf' in n || 'allOf' in n) out.push(`${path}: union`);
  if (n.additionalProperties === false) out.push(`${path}: additionalProperties false`);
  if (n.properties && n.additionalProperties !== undefined)
    out.push(`${path}: properties with additionalProperties`);
  if (n.type === undefined && !n['x-kubernetes-preserve-unknown-fields'] && !n['x-kubernetes-int-or-string'])
    out.push(`${path}: no type`);
  if (n.default !== undefined) out.push(`${path}: default`);
  for (const [k, v] of Object.entries((n.properties as JsonSchema | undefined) ?? {}))
    out.push(...structuralViolations(v, `${path}.${k}`));
  if (n.items) out.push(...structuralViolations(n.items, `${path}[]`));
  if (typeof n.additionalProperties === 'object')
    out.push(...structuralViolations(n.additionalProperties, `${path}{}`));
  return out;
}

describe('object schemas', () => {
  it.each(kinds)('%s is structural', (kind) => {
    const s = objectSchema(kind);
    expect(structuralViolations(s)).toEqual([]);
    expect(JSON.stringify(s)).not.toContain('$ref');
    expect(s.properties).toHaveProperty('spec');
  });

  it('the checker catches violations (it can fail)', () => {
    expect(
      structuralViolations({ type: 'object', properties: { a: {} }, additionalProperties: false }),
    ).toHaveLength(3);
  });

  it('marks open-ended and raw fields preserve-unknown-fields', () => {
    const s = objectSchema('VulnerabilityManifest') as { properties: { spec: JsonSchema } };
    const match = (
      (((s.properties.spec.properties as JsonSchema).payload as JsonSchema).properties as JsonSchema)
        .matches as JsonSchema
    ).items as JsonSchema;
    expect(match['x-kubernetes-preserve-unknown-fields']).toBe(true);
    const details = ((match.properties as JsonSchema).matchDetails as JsonSchema).items as JsonSchema;
    expect(
      ((details.properties as JsonSchema).searchedBy as JsonSchema)['x-kubernetes-preserve-unknown-fields'],
    ).toBe(true);
  });

  it('makes maps of controls additionalProperties', () => {
    const s = objectSchema('WorkloadConfigurationScan') as {
      properties: { spec: JsonSchema };
      required?: string[];
    };
    const controls = (s.properties.spec.properties as JsonSchema).controls as JsonSchema;
    expect(controls.type).toBe('object');
    expect((controls.additionalProperties as JsonSchema).properties).toHaveProperty('controlID');
    expect(s.required).toEqual(['spec']);
  });

  it('inlines $refs and collapses nullable unions in toStructural', () => {
    const out = toStructural({
      type: 'object',
      properties: {
        a: { $ref: '#/$defs/X' },
        b: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        c: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
      $defs: { X: { type: 'object', properties: { self: { $ref: '#/$defs/X' } } } },
    });
    expect(structuralViolations(out)).toEqual([]);
    const p = out.properties as Record<string, JsonSchema>;
    expect(p.b).toEqual({ type: 'string', nullable: true });
    expect(p.c).toEqual({ 'x-kubernetes-int-or-string': true });
    expect((p.a!.properties as Record<string, JsonSchema>).self).toEqual({
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });
});

describe('examples validate', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const cases: [KindName, () => { spec: unknown }][] = [
    ['VulnerabilityManifest', exampleVulnerabilityManifest],
    ['VulnerabilityManifestSummary', () => exampleVulnerabilityManifestSummary()],
    ['WorkloadConfigurationScan', exampleWorkloadConfigurationScan],
    ['WorkloadConfigurationScanSummary', () => exampleWorkloadConfigurationScanSummary()],
    ['SBOMSPDXv2p3', exampleSbom],
  ];
  it.each(cases)('%s against its JSON Schema', (kind, make) => {
    const validate = ajv.compile(objectSchema(kind));
    expect(validate(make()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects wrong types', () => {
    const validate = ajv.compile(objectSchema('VulnerabilityManifestSummary'));
    const bad = exampleVulnerabilityManifestSummary();
    (bad.spec.severities as Record<string, unknown>).critical = { all: 'many' };
    expect(validate(bad)).toBe(false);
    (bad.spec.severities as Record<string, unknown>).critical = { all: -1 };
    expect(validate(bad)).toBe(false);
    const validateWcs = ajv.compile(objectSchema('WorkloadConfigurationScan'));
    expect(validateWcs({ apiVersion: 'x', kind: 'WorkloadConfigurationScan', metadata: { name: 'a' } })).toBe(
      false,
    );
  });

  it('zod accepts the examples, Go nulls, and unknown fields', () => {
    expect(VulnerabilityManifestSpecSchema.safeParse(exampleVulnerabilityManifest().spec).success).toBe(true);
    expect(
      VulnerabilityManifestSummarySpecSchema.safeParse(exampleVulnerabilityManifestSummary().spec).success,
    ).toBe(true);
    expect(
      WorkloadConfigurationScanSpecSchema.safeParse(exampleWorkloadConfigurationScan().spec).success,
    ).toBe(true);
    expect(
      WorkloadConfigurationScanSummarySpecSchema.safeParse(exampleWorkloadConfigurationScanSummary().spec)
        .success,
    ).toBe(true);
    const sbom = SBOMSPDXv2p3SpecSchema.parse({ ...exampleSbom().spec, futureField: { x: 1 } });
    expect(sbom).toHaveProperty('futureField');
    expect(
      VulnerabilityManifestSpecSchema.safeParse({ payload: { matches: null, ignoredMatches: null } }).success,
    ).toBe(true);
    expect(
      VulnerabilityManifestSpecSchema.safeParse({ payload: { matches: [{ vulnerability: {} }] } }).success,
    ).toBe(false);
  });

  it('fills Go zero values on parse', () => {
    const s = WorkloadConfigurationScanSummarySpecSchema.parse({});
    expect(s.severities).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
  });
});
