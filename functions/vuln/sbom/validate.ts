/** Validation of our SPDX output against the SPDX 2.3 JSON schema (spdx-schema-2.3.json). */
import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

let compiled: ValidateFunction | undefined;

export function validateSpdx(doc: unknown): { valid: boolean; errors: string[] } {
  if (!compiled) {
    // tsc does not copy JSON into dist/: fall back from dist/functions/vuln/sbom to the source tree.
    const candidates = [new URL('./spdx-schema-2.3.json', import.meta.url), new URL('../../../../functions/vuln/sbom/spdx-schema-2.3.json', import.meta.url)];
    const file = candidates.find((u) => existsSync(u)) ?? candidates[0]!;
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  const valid = compiled(doc);
  return { valid, errors: (compiled.errors ?? []).slice(0, 20).map((e) => `${e.instancePath} ${e.message ?? ''}`) };
}
