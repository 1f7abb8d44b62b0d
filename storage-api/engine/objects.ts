/**
 * Conversions between the wire object and the store's split form (metadata + body text), and the
 * streaming JSON writer that puts a stored object on the socket without parsing its body.
 */
import type { ServerResponse } from 'node:http';
import type { StoredObject, ObjectMeta } from '../store/types.js';
import type { KubeObject, ResourceDefinition, RowSource } from '../registry/types.js';
import { writeString } from './http.js';

export const apiVersionOf = (def: Pick<ResourceDefinition, 'group' | 'version'>): string =>
  def.group ? `${def.group}/${def.version}` : def.version;

/** Metadata as served: the store's RV is authoritative, and namespace is absent for cluster kinds. */
export function servedMeta(so: StoredObject): ObjectMeta {
  const m: ObjectMeta = { ...so.metadata, resourceVersion: so.resourceVersion };
  if (!so.namespace) delete m.namespace;
  return m;
}

/**
 * servedMeta without the copy when the stored metadata already is what is served (the store sets
 * resourceVersion on read; namespaced objects keep their namespace): lists of 10,000 objects
 * serialise the stored metadata object itself. Read-only: callers must not mutate the result.
 */
export function servedMetaView(so: StoredObject): ObjectMeta {
  const m = so.metadata;
  return m.resourceVersion === so.resourceVersion && (so.namespace !== '' || m.namespace === undefined) ? m : servedMeta(so);
}

/** The object with its body parsed (for YAML, patches, Table `includeObject=Object`). */
export function toKube(def: ResourceDefinition, so: StoredObject): KubeObject {
  const rest = so.body ? (JSON.parse(so.body) as Record<string, unknown>) : {};
  return { apiVersion: apiVersionOf(def), kind: def.kind, metadata: servedMeta(so), ...rest };
}

export function rowSource(def: ResourceDefinition, so: StoredObject): RowSource {
  // Read-only view (rows only read it): no copy of every metadata of a 10,000-row table.
  const src: RowSource = { apiVersion: apiVersionOf(def), kind: def.kind, metadata: servedMetaView(so) };
  // Assigned, not spread from conditional literals: this runs once per row of 10,000-row tables.
  if (so.summary) src.summary = so.summary;
  if (so.metadataJson !== undefined) src.metadataJson = so.metadataJson;
  return src;
}

/** Body text of an object: everything but apiVersion, kind, metadata. */
export function bodyOf(obj: KubeObject): string {
  const rest: Record<string, unknown> = {};
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') rest[k] = o[k];
  return JSON.stringify(rest);
}

/**
 * Write `{"apiVersion":..,"kind":..,"metadata":..,<body fields>}` by splicing the stored body text,
 * so a 20 MB SBOM costs the stored string plus socket-sized slices, not a parse and a re-stringify.
 */
export async function writeStoredJson(res: ServerResponse, def: ResourceDefinition, so: StoredObject): Promise<void> {
  const head = `{"apiVersion":${JSON.stringify(apiVersionOf(def))},"kind":${JSON.stringify(def.kind)},"metadata":${JSON.stringify(servedMeta(so))}`;
  const body = so.body?.trim();
  if (!body || body === '{}' || body[0] !== '{') {
    await writeString(res, head + '}');
    return;
  }
  await writeString(res, head + ',');
  // Skip the body's own leading '{' without copying the whole text.
  await writeString(res, body.length > 1 << 16 ? body.substring(1) : body.slice(1));
}

/** Byte-cheap JSON for a stored object when it must be a string (watch events of small objects). */
export function storedJson(def: ResourceDefinition, so: StoredObject): string {
  // The view serialises to the same text as servedMeta's copy (same keys, same order) without copying.
  const head = `{"apiVersion":${JSON.stringify(apiVersionOf(def))},"kind":${JSON.stringify(def.kind)},"metadata":${JSON.stringify(servedMetaView(so))}`;
  const body = so.body?.trim();
  if (!body || body === '{}' || body[0] !== '{') return head + '}';
  return head + ',' + body.slice(1);
}

/**
 * storedJson of an object this process just wrote, from the metadata text it gave the store:
 * `metadataJson` is `JSON.stringify` of `so.metadata` before the store set `resourceVersion` (which
 * it adds as the last key), with no `namespace` for a cluster-scoped object. The metadata is then
 * serialised once per write, not again for the response; the text is the same as storedJson's.
 */
export function storedJsonWithMeta(def: ResourceDefinition, so: StoredObject, metadataJson: string): string {
  const rv = `"resourceVersion":${JSON.stringify(so.resourceVersion)}}`;
  const meta = metadataJson === '{}' ? `{${rv}` : `${metadataJson.slice(0, -1)},${rv}`;
  const head = `{"apiVersion":${JSON.stringify(apiVersionOf(def))},"kind":${JSON.stringify(def.kind)},"metadata":${meta}`;
  const body = so.body?.trim();
  if (!body || body === '{}' || body[0] !== '{') return head + '}';
  return head + ',' + body.slice(1);
}

export function partialMeta(meta: Record<string, unknown>, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: meta };
}

/**
 * RFC 3339 with second precision, as metav1.Time serializes. Every write stamps a time: the
 * string is built once per second rather than formatting a Date and running a regex per request.
 */
let rfcSecond = -1;
let rfcText = '';
export const nowRfc3339 = (): string => {
  const ms = Date.now();
  const sec = Math.floor(ms / 1000);
  if (sec !== rfcSecond) {
    rfcSecond = sec;
    rfcText = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return rfcText;
};

/** Decimal resourceVersion comparison without precision loss. */
export function rvCompare(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const isRv = (s: string): boolean => /^(0|[1-9]\d*)$/.test(s);
