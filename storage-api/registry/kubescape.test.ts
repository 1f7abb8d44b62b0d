import { describe, expect, it } from 'vitest';
import {
  exampleSbom,
  exampleVulnerabilityManifest,
  exampleVulnerabilityManifestSummary,
  exampleWorkloadConfigurationScan,
  exampleWorkloadConfigurationScanSummary,
} from '../../lib/api/examples.js';
import { GROUP } from '../../lib/api/index.js';
import { findResource, resolveResource, virtualsFedBy } from './index.js';
import { controlSeverityOf, kubescapeResources, virtualUid } from './kubescape.js';
import type { KubeObject, ResourceDefinition, RowSource } from './types.js';
import { resourceKey } from './types.js';

const defs = kubescapeResources();
const get = (plural: string): ResourceDefinition => {
  const d = findResource(defs, GROUP, 'v1beta1', plural);
  if (!d) throw new Error(`no ${plural}`);
  return d;
};

/** What the engine stores for an object: metadata + summary (and a uid/RV the store assigns). */
function row(def: ResourceDefinition, o: KubeObject, rv = '10', created = '2026-11-26T10:00:00Z'): RowSource {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      ...o.metadata,
      uid: `uid-${o.metadata.name}`,
      resourceVersion: rv,
      creationTimestamp: created,
    } as RowSource['metadata'],
    summary: def.summarize!(o),
  };
}
const cells = (def: ResourceDefinition, src: RowSource): Record<string, unknown> =>
  Object.fromEntries(def.printerColumns.map((c) => [c.name, c.value(src)]));

describe('kubescapeResources', () => {
  it('serves the nine kinds with Kubescape names and scopes', () => {
    expect(defs.map((d) => [d.plural, d.kind, d.namespaced, d.singular])).toEqual([
      ['configurationscansummaries', 'ConfigurationScanSummary', false, 'configurationscansummary'],
      ['sbomspdxv2p3s', 'SBOMSPDXv2p3', true, 'sbomspdxv2p3'],
      ['sbomspdxv2p3filtereds', 'SBOMSPDXv2p3Filtered', true, 'sbomspdxv2p3filtered'],
      ['sbomsummaries', 'SBOMSummary', true, 'sbomsummary'],
      ['vulnerabilitymanifests', 'VulnerabilityManifest', true, 'vulnerabilitymanifest'],
      [
        'vulnerabilitymanifestsummaries',
        'VulnerabilityManifestSummary',
        true,
        'vulnerabilitymanifestsummary',
      ],
      ['vulnerabilitysummaries', 'VulnerabilitySummary', false, 'vulnerabilitysummary'],
      ['workloadconfigurationscans', 'WorkloadConfigurationScan', true, 'workloadconfigurationscan'],
      [
        'workloadconfigurationscansummaries',
        'WorkloadConfigurationScanSummary',
        true,
        'workloadconfigurationscansummary',
      ],
    ]);
    for (const d of defs) {
      expect(d.group).toBe(GROUP);
      expect(d.listKind).toBe(`${d.kind}List`);
      expect(d.categories).toEqual(['kubescape']);
      expect(d.schema).toBeDefined();
      expect(d.verbs).toEqual(
        d.virtual
          ? ['get', 'list', 'watch']
          : ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      );
    }
  });

  it('has unique short names that resolve', () => {
    const all = defs.flatMap((d) => d.shortNames);
    expect(new Set(all).size).toBe(all.length);
    expect(resolveResource(defs, 'vms')?.kind).toBe('VulnerabilityManifestSummary');
    expect(resolveResource(defs, 'VulnerabilityManifest')?.plural).toBe('vulnerabilitymanifests');
    expect(resolveResource(defs, `vulnerabilitysummaries.${GROUP}`)?.namespaced).toBe(false);
  });

  it('sizes bodies by kind', () => {
    expect(get('sbomspdxv2p3s').maxBodyBytes).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(get('vulnerabilitymanifestsummaries').maxBodyBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it('virtual kinds read the right sources', () => {
    expect(get('vulnerabilitysummaries').virtual?.from).toBe(
      resourceKey(get('vulnerabilitymanifestsummaries')),
    );
    expect(get('configurationscansummaries').virtual?.from).toBe(
      resourceKey(get('workloadconfigurationscansummaries')),
    );
    expect(get('sbomsummaries').virtual?.from).toBe(resourceKey(get('sbomspdxv2p3s')));
    expect(virtualsFedBy(defs, resourceKey(get('sbomspdxv2p3s'))).map((d) => d.kind)).toEqual([
      'SBOMSummary',
    ]);
  });

  it('no column needs the body', () => {
    for (const d of defs) for (const c of d.printerColumns) expect(c.needsBody ?? false).toBe(false);
  });
});

describe('summaries and columns', () => {
  it('VulnerabilityManifest: image, matches, severities', () => {
    const d = get('vulnerabilitymanifests');
    const vm = exampleVulnerabilityManifest();
    const s = d.summarize!(vm);
    expect(s).toMatchObject({
      image: 'docker.io/library/nginx:1.25',
      matches: 2,
      withRelevancy: false,
      tool: 'grype',
    });
    expect(s.severities).toMatchObject({ critical: 1, high: 1, medium: 0 });
    expect(cells(d, row(d, vm))).toMatchObject({
      IMAGE: 'docker.io/library/nginx:1.25',
      MATCHES: 2,
      CRITICAL: 1,
      HIGH: 1,
    });
  });

  it('VulnerabilityManifestSummary: CRITICAL HIGH MEDIUM LOW from the summary only', () => {
    const d = get('vulnerabilitymanifestsummaries');
    const src = row(
      d,
      exampleVulnerabilityManifestSummary('prod', 'deployment-nginx-nginx', { critical: 3, high: 2, low: 7 }),
    );
    // The row carries no body: columns must work from the summary.
    expect(src.object).toBeUndefined();
    expect(cells(d, src)).toMatchObject({
      CRITICAL: 3,
      HIGH: 2,
      MEDIUM: 0,
      LOW: 7,
      WORKLOAD: 'nginx',
      CONTAINER: 'nginx',
    });
    expect(d.printerColumns.slice(0, 4).map((c) => [c.name, c.priority])).toEqual([
      ['CRITICAL', 0],
      ['HIGH', 0],
      ['MEDIUM', 0],
      ['LOW', 0],
    ]);
  });

  it('WorkloadConfigurationScan: failed/passed and highest severity', () => {
    const d = get('workloadconfigurationscans');
    const s = d.summarize!(exampleWorkloadConfigurationScan());
    expect(s).toMatchObject({ controls: 3, failed: 2, passed: 1, highestSeverity: 'high' });
    expect(cells(d, row(d, exampleWorkloadConfigurationScan()))).toMatchObject({
      FAILED: 2,
      CONTROLS: 3,
      SEVERITY: 'high',
      KIND: 'Deployment',
    });
  });

  it('WorkloadConfigurationScanSummary: severities', () => {
    const d = get('workloadconfigurationscansummaries');
    expect(cells(d, row(d, exampleWorkloadConfigurationScanSummary()))).toMatchObject({
      CRITICAL: 0,
      HIGH: 1,
      MEDIUM: 0,
      LOW: 1,
      FAILED: 2,
      CONTROLS: 3,
    });
  });

  it('SBOM: image and package count', () => {
    const d = get('sbomspdxv2p3s');
    const s = d.summarize!(exampleSbom());
    expect(s).toMatchObject({ packages: 3, files: 1, tool: 'syft', toolVersion: '0.101.1' });
    expect(cells(d, row(d, exampleSbom()))).toMatchObject({ PACKAGES: 3, TOOL: 'syft 0.101.1' });
    expect(String(cells(d, row(d, exampleSbom())).IMAGE)).toContain('nginx@sha256:');
  });

  it('tolerates empty and odd specs', () => {
    for (const d of defs) {
      const o: KubeObject = { apiVersion: `${GROUP}/v1beta1`, kind: d.kind, metadata: { name: 'x' } };
      expect(() => d.summarize!(o)).not.toThrow();
      expect(() =>
        d.summarize!({ ...o, spec: { controls: 'nope', payload: { matches: {} }, severities: null } }),
      ).not.toThrow();
    }
  });

  it('buckets control severities by score factor when the name is missing', () => {
    expect(controlSeverityOf({ severity: { scoreFactor: 9 } })).toBe('critical');
    expect(controlSeverityOf({ severity: { scoreFactor: 7 } })).toBe('high');
    expect(controlSeverityOf({ severity: { scoreFactor: 4 } })).toBe('medium');
    expect(controlSeverityOf({ severity: { scoreFactor: 1 } })).toBe('low');
    expect(controlSeverityOf({})).toBe('unknown');
    expect(controlSeverityOf({ severity: { severity: 'Critical', scoreFactor: 1 } })).toBe('critical');
  });
});

describe('virtual kinds', () => {
  it('VulnerabilitySummary sums a namespace', () => {
    const vs = get('vulnerabilitysummaries');
    const vms = get('vulnerabilitymanifestsummaries');
    const a = row(
      vms,
      exampleVulnerabilityManifestSummary('prod', 'deployment-a-c', { critical: 1, high: 2 }),
      '7',
      '2026-01-02T00:00:00Z',
    );
    const b = row(
      vms,
      exampleVulnerabilityManifestSummary('prod', 'deployment-b-c', { high: 3, low: 4 }),
      '12',
      '2026-01-01T00:00:00Z',
    );
    (b.summary!.severities as Record<string, { relevant: number }>).high!.relevant = 1;
    const key = vs.virtual!.keyOf({ ...a, namespace: 'prod', name: 'deployment-a-c' });
    expect(key).toEqual({ namespace: '', name: 'prod' });
    const o = vs.virtual!.compute(key, [b, a]);
    expect(o).toMatchObject({
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'VulnerabilitySummary',
      metadata: {
        name: 'prod',
        resourceVersion: '12',
        creationTimestamp: '2026-01-01T00:00:00Z',
        uid: virtualUid('VulnerabilitySummary', '', 'prod'),
      },
      spec: {
        severities: { critical: { all: 1 }, high: { all: 5, relevant: 1 }, low: { all: 4 } },
        vulnerabilitiesRef: [
          { namespace: 'prod', name: 'deployment-a-c', kind: 'vulnerabilitymanifestsummary' },
          { namespace: 'prod', name: 'deployment-b-c', kind: 'vulnerabilitymanifestsummary' },
        ],
      },
    });
    expect(o.metadata.namespace).toBeUndefined();
    // Deterministic: the same inputs in another order give the same object.
    expect(vs.virtual!.compute(key, [a, b])).toEqual(o);
    expect(
      cells(vs, {
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: o.metadata as RowSource['metadata'],
        summary: vs.summarize!(o),
      }),
    ).toMatchObject({
      CRITICAL: 1,
      HIGH: 5,
      MEDIUM: 0,
      LOW: 4,
      CONTAINERS: 2,
    });
  });

  it('resourceVersion compare is numeric', () => {
    const vs = get('vulnerabilitysummaries');
    const vms = get('vulnerabilitymanifestsummaries');
    const o = vs.virtual!.compute({ namespace: '', name: 'x' }, [
      row(vms, exampleVulnerabilityManifestSummary('x', 'a'), '9'),
      row(vms, exampleVulnerabilityManifestSummary('x', 'b'), '10'),
    ]);
    expect(o.metadata.resourceVersion).toBe('10');
  });

  it('ConfigurationScanSummary sums a namespace', () => {
    const css = get('configurationscansummaries');
    const wcss = get('workloadconfigurationscansummaries');
    const o = css.virtual!.compute({ namespace: '', name: 'default' }, [
      row(wcss, exampleWorkloadConfigurationScanSummary('default', 'deployment-a')),
      row(wcss, exampleWorkloadConfigurationScanSummary('default', 'deployment-b')),
    ]);
    expect(o.spec).toEqual({
      severities: { critical: 0, high: 2, medium: 0, low: 2, unknown: 0 },
      summaryRef: [
        { namespace: 'default', kind: 'WorkloadConfigurationScanSummary', name: 'deployment-a' },
        { namespace: 'default', kind: 'WorkloadConfigurationScanSummary', name: 'deployment-b' },
      ],
    });
  });

  it('SBOMSummary mirrors its SBOM', () => {
    const ss = get('sbomsummaries');
    const sbom = get('sbomspdxv2p3s');
    const src = row(sbom, exampleSbom());
    const key = ss.virtual!.keyOf({ ...src, namespace: 'kubescape', name: src.metadata.name });
    expect(key).toEqual({ namespace: 'kubescape', name: src.metadata.name });
    const o = ss.virtual!.compute(key, [src]);
    expect(o.metadata).toMatchObject({
      name: src.metadata.name,
      namespace: 'kubescape',
      labels: src.metadata.labels,
      annotations: src.metadata.annotations,
    });
    expect(o.spec).toMatchObject({
      packages: 3,
      files: 1,
      metadata: { tool: { name: 'syft', version: '0.101.1' } },
    });
    expect(cells(ss, { ...src, kind: 'SBOMSummary', summary: ss.summarize!(o) })).toMatchObject({
      PACKAGES: 3,
    });
  });
});
