/**
 * storedJsonWithMeta must write exactly what storedJson writes for the object the store returns
 * when it adopts the engine's metadata (resourceVersion added as the last key).
 */
import { describe, expect, it } from 'vitest';
import type { ResourceDefinition } from '../registry/types.js';
import { kubescapeResources } from '../registry/index.js';
import type { ObjectMeta, StoredObject } from '../store/types.js';
import { storedJson, storedJsonWithMeta } from './objects.js';

const defs = kubescapeResources();
const namespaced = defs.find((d) => d.namespaced && !d.virtual)!;
const cluster: ResourceDefinition = { ...namespaced, namespaced: false };

/** What the store hands back with `adopt`: the very metadata object, uid and resourceVersion set on it. */
function adopted(def: ResourceDefinition, meta: Record<string, unknown>, rv: string, body: string | undefined): { so: StoredObject; metadataJson: string } {
  const metadataJson = JSON.stringify(meta);
  const metadata = meta as ObjectMeta;
  if (rv) metadata.resourceVersion = rv;
  const so: StoredObject = {
    resource: `${def.group}/${def.plural}`,
    namespace: def.namespaced ? String(meta.namespace) : '',
    name: String(meta.name),
    uid: String(meta.uid),
    resourceVersion: rv,
    metadata,
    ...(body !== undefined ? { body } : {}),
  };
  return { so, metadataJson };
}

const meta = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'n1',
  namespace: 'ns',
  labels: { a: 'b', 'x/y': 'é' },
  annotations: { note: 'quote " and \\ and \u2028' },
  uid: '0b0d9c8e-6f5e-4b8e-9d1e-2c1f3a4b5c6d',
  creationTimestamp: '2026-11-27T07:00:00Z',
  generation: 1,
  managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v', time: '2026-11-27T07:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
  ...extra,
});

describe('storedJsonWithMeta', () => {
  const cases: [string, ResourceDefinition, Record<string, unknown>, string, string | undefined][] = [
    ['namespaced, committed', namespaced, meta(), '42', '{"spec":{"a":[1,2,{"b":null}]}}'],
    ['dry run: no resourceVersion assigned', namespaced, meta(), '', '{"spec":{}}'],
    ['cluster-scoped (no namespace key)', cluster, (({ namespace: _ns, ...m }) => m)(meta()), '7', '{"spec":{"x":"y"}}'],
    ['empty body', namespaced, meta(), '8', '{}'],
    ['no body', namespaced, meta(), '9', undefined],
    ['body with surrounding whitespace', namespaced, meta(), '10', ' {"status":{"ok":true}} '],
    ['minimal metadata', namespaced, { name: 'n', namespace: 'ns', uid: 'u' }, '11', '{"spec":1}'],
  ];
  for (const [title, def, m, rv, body] of cases)
    it(title, () => {
      const { so, metadataJson } = adopted(def, m, rv, body);
      const text = storedJsonWithMeta(def, so, metadataJson);
      expect(text).toBe(storedJson(def, so));
      expect((JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(rv);
    });

  it('an empty metadata text still gets its resourceVersion', () => {
    const so: StoredObject = { resource: 'r', namespace: 'ns', name: '', uid: '', resourceVersion: '3', metadata: { resourceVersion: '3' } as ObjectMeta, body: '{}' };
    expect(storedJsonWithMeta(namespaced, so, '{}')).toBe(storedJson(namespaced, so));
  });
});
