/**
 * Accept-header negotiation the way k8s.io/apiserver does it: clauses are tried in order of
 * preference (q, then position), the first one the endpoint can produce wins, and parameters
 * `as`, `g`, `v` select transformed outputs (Table, PartialObjectMetadata[List], aggregated
 * discovery). Unknown media types (protobuf, CBOR) are skipped so clients fall back to JSON.
 */

export interface MediaRange {
  type: string; // e.g. application/json, */*
  params: Record<string, string>;
  q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || !header.trim()) return [{ type: '*/*', params: {}, q: 1 }];
  const out: (MediaRange & { i: number })[] = [];
  header.split(',').forEach((clause, i) => {
    const [typ, ...rest] = clause.split(';');
    const type = (typ ?? '').trim().toLowerCase();
    if (!type) return;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (k === 'q') q = Number(v);
      else params[k] = v;
    }
    if (!(q > 0)) return;
    out.push({ type, params, q, i });
  });
  out.sort((a, b) => b.q - a.q || a.i - b.i);
  return out.map(({ type, params, q }) => ({ type, params, q }));
}

const isJsonType = (t: string): boolean => t === 'application/json' || t === '*/*' || t === 'application/*';
const isYamlType = (t: string): boolean => t === 'application/yaml' || t === 'application/x-yaml' || t === 'text/yaml';

export type ObjectOutput =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'pom'; version: 'v1' | 'v1beta1' }
  | { kind: 'pomlist'; version: 'v1' | 'v1beta1' };

/**
 * Output for resource endpoints. Returns undefined when nothing acceptable (→ 406).
 * `as=PartialObjectMetadata` on a list (or `...List` on a single object) is returned as chosen; the
 * caller answers 406 with kube's message, because kube-apiserver picks that clause and then fails.
 */
export function negotiateObject(ranges: MediaRange[]): ObjectOutput | undefined {
  for (const r of ranges) {
    const as = r.params.as;
    if (as) {
      if (r.type !== 'application/json') continue; // protobuf/CBOR transforms are not served
      if (r.params.g !== 'meta.k8s.io') continue;
      const v = r.params.v;
      if (v !== 'v1' && v !== 'v1beta1') continue;
      if (as === 'Table') return { kind: 'table', version: v };
      if (as === 'PartialObjectMetadata') return { kind: 'pom', version: v };
      if (as === 'PartialObjectMetadataList') return { kind: 'pomlist', version: v };
      continue;
    }
    if (isJsonType(r.type)) return { kind: 'json' };
    if (isYamlType(r.type)) return { kind: 'yaml' };
  }
  return undefined;
}

export type DiscoveryOutput = { kind: 'aggregated'; version: 'v2' | 'v2beta1' } | { kind: 'legacy' };

/** `/api` and `/apis`: aggregated discovery (apidiscovery.k8s.io v2, v2beta1) or the legacy documents. */
export function negotiateDiscovery(ranges: MediaRange[]): DiscoveryOutput | undefined {
  for (const r of ranges) {
    if (r.params.as) {
      if (
        r.type === 'application/json' &&
        r.params.as === 'APIGroupDiscoveryList' &&
        r.params.g === 'apidiscovery.k8s.io' &&
        (r.params.v === 'v2' || r.params.v === 'v2beta1')
      )
        return { kind: 'aggregated', version: r.params.v };
      continue;
    }
    if (isJsonType(r.type)) return { kind: 'legacy' };
  }
  return undefined;
}

/** Plain JSON documents (discovery groups, OpenAPI, version): JSON or nothing. */
export function acceptsJson(ranges: MediaRange[]): boolean {
  return ranges.some((r) => !r.params.as && isJsonType(r.type));
}
