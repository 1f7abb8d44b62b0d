import { describe, expect, it } from 'vitest';
import { GROUP } from '../../lib/api/index.js';
import { allResources, builtinResources, kubescapeResources } from '../registry/index.js';
import { buildDiscovery, compareVersions, storageVersionHash } from './index.js';

type Json = Record<string, unknown>;
const defs = allResources({ sandbox: true });
const d = buildDiscovery(defs);

describe('legacy discovery', () => {
  it('lists non-core groups in /apis', () => {
    const list = d.apiGroupList() as { kind: string; groups: Json[] };
    expect(list.kind).toBe('APIGroupList');
    const names = list.groups.map((g) => g.name);
    expect(names).toContain(GROUP);
    expect(names).toContain('apps');
    expect(names).not.toContain('');
    expect(list.groups.find((g) => g.name === GROUP)).toEqual({
      name: GROUP,
      versions: [{ groupVersion: `${GROUP}/v1beta1`, version: 'v1beta1' }],
      preferredVersion: { groupVersion: `${GROUP}/v1beta1`, version: 'v1beta1' },
    });
  });

  it('serves APIGroup and 404s unknown groups', () => {
    expect(d.apiGroup('apps')).toMatchObject({ kind: 'APIGroup', apiVersion: 'v1', name: 'apps' });
    expect(d.apiGroup('nope.example.com')).toBeUndefined();
    expect(d.apiGroup('')).toBeUndefined();
  });

  it('serves the APIResourceList the aggregator checks', () => {
    const rl = d.apiResourceList(GROUP, 'v1beta1') as {
      kind: string;
      groupVersion: string;
      resources: Json[];
    };
    expect(rl.kind).toBe('APIResourceList');
    expect(rl.groupVersion).toBe(`${GROUP}/v1beta1`);
    expect(rl.resources).toHaveLength(9);
    const vm = rl.resources.find((r) => r.name === 'vulnerabilitymanifests');
    expect(vm).toEqual({
      name: 'vulnerabilitymanifests',
      singularName: 'vulnerabilitymanifest',
      namespaced: true,
      kind: 'VulnerabilityManifest',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['vman'],
      categories: ['kubescape'],
      storageVersionHash: storageVersionHash({
        group: GROUP,
        version: 'v1beta1',
        kind: 'VulnerabilityManifest',
      }),
    });
    const vs = rl.resources.find((r) => r.name === 'vulnerabilitysummaries');
    expect(vs).toMatchObject({ namespaced: false, verbs: ['get', 'list', 'watch'] });
    expect(vs).not.toHaveProperty('storageVersionHash');
    expect(d.apiResourceList(GROUP, 'v1')).toBeUndefined();
  });

  it('core group under /api/v1', () => {
    expect(d.coreApiVersions()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = d.apiResourceList('', 'v1') as { groupVersion: string; resources: Json[] };
    expect(core.groupVersion).toBe('v1');
    expect(core.resources.find((r) => r.name === 'pods')).toMatchObject({
      shortNames: ['po'],
      categories: ['all'],
      namespaced: true,
    });
    // Without sandbox kinds there is no core group: /api is a 404 (client-go tolerates it).
    expect(buildDiscovery(kubescapeResources()).coreApiVersions()).toBeUndefined();
  });

  it('computes storageVersionHash like kube-apiserver', () => {
    // Values served by real clusters.
    expect(storageVersionHash({ group: '', version: 'v1', kind: 'Pod' })).toBe('xPOwRZ+Yhw8=');
    expect(storageVersionHash({ group: 'apps', version: 'v1', kind: 'Deployment' })).toBe('8aSe+NMegvE=');
  });

  it('omits empty shortNames/categories like omitempty', () => {
    const rbac = d.apiResourceList('rbac.authorization.k8s.io', 'v1') as { resources: Json[] };
    for (const r of rbac.resources) {
      expect(r).not.toHaveProperty('shortNames');
      expect(r).not.toHaveProperty('categories');
    }
  });
});

describe('aggregated discovery v2', () => {
  it('has every non-core group with resources and freshness', () => {
    const agg = d.aggregatedApis() as {
      kind: string;
      apiVersion: string;
      items: { metadata: Json; versions: { version: string; freshness: string; resources: Json[] }[] }[];
    };
    expect(agg.kind).toBe('APIGroupDiscoveryList');
    expect(agg.apiVersion).toBe('apidiscovery.k8s.io/v2');
    const ks = agg.items.find((i) => i.metadata.name === GROUP)!;
    expect(ks.versions).toHaveLength(1);
    expect(ks.versions[0]!.freshness).toBe('Current');
    const css = ks.versions[0]!.resources.find((r) => r.resource === 'configurationscansummaries');
    expect(css).toEqual({
      resource: 'configurationscansummaries',
      responseKind: { group: GROUP, version: 'v1beta1', kind: 'ConfigurationScanSummary' },
      scope: 'Cluster',
      singularResource: 'configurationscansummary',
      verbs: ['get', 'list', 'watch'],
      shortNames: ['css'],
      categories: ['kubescape'],
    });
    expect(agg.items.some((i) => i.metadata.name === undefined)).toBe(false);
  });

  it('core group document', () => {
    const core = d.aggregatedCore() as { items: { metadata: Json; versions: { resources: Json[] }[] }[] };
    expect(core.items).toHaveLength(1);
    expect(core.items[0]!.metadata.name).toBeUndefined();
    expect(core.items[0]!.versions[0]!.resources.find((r) => r.resource === 'nodes')).toMatchObject({
      scope: 'Cluster',
      responseKind: { group: '', version: 'v1', kind: 'Node' },
    });
    expect((buildDiscovery(kubescapeResources()).aggregatedCore() as { items: unknown[] }).items).toEqual([]);
  });

  it('every advertised resource appears in both formats', () => {
    const legacy = new Set<string>();
    for (const g of d.groups())
      for (const v of g.versions)
        for (const r of (d.apiResourceList(g.name, v) as { resources: Json[] }).resources)
          legacy.add(`${g.name}/${v}/${String(r.name)}`);
    const agg = new Set<string>();
    for (const doc of [d.aggregatedApis(), d.aggregatedCore()] as {
      items: { metadata: Json; versions: { version: string; resources: Json[] }[] }[];
    }[])
      for (const i of doc.items)
        for (const v of i.versions)
          for (const r of v.resources)
            agg.add(`${String(i.metadata.name ?? '')}/${v.version}/${String(r.resource)}`);
    expect([...agg].sort()).toEqual([...legacy].sort());
    expect(legacy.size).toBe(defs.length);
  });
});

describe('compareVersions', () => {
  it('orders like kube', () => {
    expect(['v1beta1', 'v1', 'v2alpha1', 'v2', 'v1beta2', 'foo', 'v10'].sort(compareVersions)).toEqual([
      'v10',
      'v2',
      'v1',
      'v1beta2',
      'v1beta1',
      'v2alpha1',
      'foo',
    ]);
  });
});

describe('builtins', () => {
  it('has unique resources and short names', () => {
    const b = builtinResources();
    const keys = b.map((x) => `${x.group}/${x.plural}`);
    expect(new Set(keys).size).toBe(keys.length);
    const shorts = b.flatMap((x) => x.shortNames);
    expect(new Set(shorts).size).toBe(shorts.length);
  });
});
