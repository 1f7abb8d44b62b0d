/**
 * API discovery documents, legacy (`/api`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`) and aggregated
 * (`apidiscovery.k8s.io/v2` APIGroupDiscoveryList, what kubectl and the aggregator ask for first),
 * built once from the registry. Shapes follow apimachinery `meta/v1` and `k8s.io/api/apidiscovery/v2`
 * (reference/knative-and-aggregated-api.md B2): empty optional lists are omitted like Go's omitempty.
 *
 * The aggregator's availability check hits `/apis/<g>/<v>` and the namespace controller and
 * garbage collector act on the verbs advertised here, so they are exactly what the engine serves.
 */
import { createHash } from 'node:crypto';
import type { ResourceDefinition } from '../registry/types.js';

type Json = Record<string, unknown>;

/** kube's storageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>"). */
export function storageVersionHash(d: Pick<ResourceDefinition, 'group' | 'version' | 'kind'>): string {
  return createHash('sha256')
    .update(`${d.group}/${d.version}/${d.kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}

/** Kube-like version order: GA > beta > alpha, higher numbers first, then others alphabetically. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    // Kubernetes: GA versions first by major desc, then beta, then alpha.
    if (pa[0] !== pb[0]) return pb[0] - pa[0];
    if (pa[1] !== pb[1]) return pb[1] - pa[1];
    return pb[2] - pa[2];
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Discovery {
  /** `GET /apis` (legacy): APIGroupList of every non-core group. */
  apiGroupList(): Json;
  /** `GET /apis/<group>`: APIGroup, undefined when the group is not served. */
  apiGroup(group: string): Json | undefined;
  /** `GET /apis/<group>/<version>` or `GET /api/v1` (group ''): APIResourceList, undefined if not served. */
  apiResourceList(group: string, version: string): Json | undefined;
  /** `GET /apis` with the aggregated Accept: APIGroupDiscoveryList of every non-core group. */
  aggregatedApis(): Json;
  /** `GET /api` with the aggregated Accept: APIGroupDiscoveryList of the core group (empty items without core kinds). */
  aggregatedCore(): Json;
  /** `GET /api` (legacy): APIVersions, undefined when no core kinds are served (engine answers 404). */
  coreApiVersions(): Json | undefined;
  /** Groups served, in discovery order, with their versions (preferred first). */
  groups(): { name: string; versions: string[] }[];
}

function apiResource(d: ResourceDefinition): Json {
  const r: Json = {
    name: d.plural,
    singularName: d.singular,
    namespaced: d.namespaced,
    kind: d.kind,
    verbs: [...d.verbs],
  };
  if (d.shortNames.length) r.shortNames = [...d.shortNames];
  if (d.categories.length) r.categories = [...d.categories];
  // Computed kinds have no storage version: nothing to migrate.
  if (!d.virtual) r.storageVersionHash = storageVersionHash(d);
  return r;
}

function resourceDiscovery(d: ResourceDefinition): Json {
  const r: Json = {
    resource: d.plural,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: [...d.verbs],
  };
  if (d.shortNames.length) r.shortNames = [...d.shortNames];
  if (d.categories.length) r.categories = [...d.categories];
  return r;
}

const byPlural = (a: ResourceDefinition, b: ResourceDefinition): number =>
  a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0;

export function buildDiscovery(defs: readonly ResourceDefinition[]): Discovery {
  // group → version → definitions; groups keep first-seen order (the registry's order).
  const tree = new Map<string, Map<string, ResourceDefinition[]>>();
  for (const d of defs) {
    let versions = tree.get(d.group);
    if (!versions) tree.set(d.group, (versions = new Map()));
    const list = versions.get(d.version) ?? [];
    list.push(d);
    versions.set(d.version, list);
  }
  for (const versions of tree.values()) for (const list of versions.values()) list.sort(byPlural);

  const versionsOf = (group: string): string[] => [...(tree.get(group)?.keys() ?? [])].sort(compareVersions);
  const groupNames = [...tree.keys()].filter((g) => g !== '');
  const gv = (group: string, version: string): string => (group ? `${group}/${version}` : version);

  const apiGroup = (group: string): Json | undefined => {
    if (!group || !tree.has(group)) return undefined;
    const versions = versionsOf(group).map((v) => ({ groupVersion: gv(group, v), version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
  };

  const groupDiscovery = (group: string): Json => ({
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versionsOf(group).map((v) => ({
      version: v,
      resources: (tree.get(group)?.get(v) ?? []).map(resourceDiscovery),
      freshness: 'Current',
    })),
  });

  const discoveryList = (items: Json[]): Json => ({
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items,
  });

  // Documents never change for a registry: build each once.
  const groupList: Json = {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupNames.map((g) => {
      const { kind: _k, apiVersion: _a, ...rest } = apiGroup(g)!;
      return rest;
    }),
  };
  const aggregated = discoveryList(groupNames.map(groupDiscovery));
  const aggregatedCoreDoc = discoveryList(tree.has('') ? [groupDiscovery('')] : []);

  return {
    apiGroupList: () => groupList,
    apiGroup,
    apiResourceList(group, version) {
      const list = tree.get(group)?.get(version);
      if (!list) return undefined;
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv(group, version),
        resources: list.map(apiResource),
      };
    },
    aggregatedApis: () => aggregated,
    aggregatedCore: () => aggregatedCoreDoc,
    coreApiVersions() {
      if (!tree.has('')) return undefined;
      return {
        kind: 'APIVersions',
        versions: versionsOf(''),
        serverAddressByClientCIDRs: [],
      };
    },
    groups: () => [...tree.keys()].map((name) => ({ name, versions: versionsOf(name) })),
  };
}
