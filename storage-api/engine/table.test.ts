import { describe, expect, it } from 'vitest';
import { kubescapeResources } from '../registry/index.js';
import type { ResourceDefinition, RowSource } from '../registry/types.js';
import { humanDuration, TableRenderer } from './table.js';

const defs = kubescapeResources();
const def = (kind: string): ResourceDefinition => {
  const d = defs.find((x) => x.kind === kind);
  if (!d) throw new Error(`no ${kind}`);
  return d;
};

const src = (name: string, created: string, summary?: Record<string, unknown>): RowSource => ({
  apiVersion: 'spdx.softwarecomposition.kubescape.io/v1beta1',
  kind: 'VulnerabilityManifest',
  metadata: {
    name,
    namespace: 'ns',
    uid: `u-${name}`,
    resourceVersion: '7',
    creationTimestamp: created,
    labels: { 'kubescape.io/workload-name': 'nginx', quote: 'a"b\\c\u2028' },
  },
  ...(summary ? { summary } : {}),
});

describe('TableRenderer', () => {
  it('rowJson is the text of JSON.stringify(row) for every includeObject and version', () => {
    const t = new TableRenderer(def('VulnerabilityManifest'));
    const rows = [
      src('a', '2026-01-01T00:00:00Z', { image: 'nginx:1.25', matches: 3 }),
      src('b', '2026-01-01T00:00:00Z'),
      src('c', 'not a date', { image: '', matches: 'x' }),
    ];
    const full = () => ({ apiVersion: 'x/v1', kind: 'K', metadata: { name: 'full' }, spec: { a: 1 } });
    for (const r of rows)
      for (const include of ['None', 'Metadata', 'Object'] as const)
        for (const v of ['v1', 'v1beta1'])
          // Cells carry an age: both texts are rendered within the same second in practice, but
          // compare with the age column taken out of the timing question by parsing both.
          expect(JSON.parse(t.rowJson(r, include, v, full))).toEqual(
            JSON.parse(JSON.stringify(t.row(r, include, v, full))),
          );
  });

  it('appends an Age column, from the creation timestamp, to kinds without one', () => {
    const t = new TableRenderer(def('VulnerabilityManifest'));
    const names = t.columns.map((c) => c.name);
    expect(names.slice(0, 3)).toEqual(['Name', 'IMAGE', 'MATCHES']);
    expect(names.filter((n) => n === 'Age')).toEqual(['Age']);
    const ageAt = names.length - 1;
    expect(names[ageAt]).toBe('Age');
    const now = Date.parse('2026-01-01T00:05:00Z');
    const first = t.cells(src('a', '2026-01-01T00:00:00Z', { image: 'nginx:1.25', matches: 3 }), now);
    expect([first[0], first[1], first[2], first[ageAt]]).toEqual(['a', 'nginx:1.25', 3, '5m']);
    expect(first).toHaveLength(names.length);
    // A row with another timestamp after it: the remembered parse must not leak across rows.
    expect(t.cells(src('b', '2026-01-01T00:04:00Z', {}), now)[ageAt]).toBe('60s');
    expect(t.cells(src('c', 'garbage', {}), now)[ageAt]).toBeNull();
    expect(t.cells(src('d', '2026-01-01T00:00:00Z', {}), now)[ageAt]).toBe('5m');
    // Kinds without printer columns get kube's default table: Created At, verbatim.
    const plain = new TableRenderer({ ...def('VulnerabilityManifest'), printerColumns: [] });
    expect(plain.columns.map((c) => c.name)).toEqual(['Name', 'Created At']);
    expect(plain.cells(src('e', '2026-01-01T00:00:00Z'), now)).toEqual(['e', '2026-01-01T00:00:00Z']);
  });

  it('kinds whose columns say they read few metadata fields get the same cells from that subset (metadataJson lists)', () => {
    const full = {
      name: 'x',
      namespace: 'ns',
      uid: 'u',
      resourceVersion: '9',
      creationTimestamp: '2026-01-01T00:00:00Z',
      generation: 3,
      labels: Object.fromEntries(
        Object.values({
          a: 'kubescape.io/workload-name',
          b: 'kubescape.io/workload-container-name',
          c: 'kubescape.io/workload-kind',
        }).map((k) => [k, `v-${k}`]),
      ),
      annotations: {
        'kubescape.io/image-tag': 'nginx:1.25',
        'kubescape.io/image-id': 'sha256:x',
        'kubescape.io/status': 'ready',
      },
      ownerReferences: [{ kind: 'Deployment', name: 'd' }],
    };
    const { name, namespace, uid, resourceVersion, creationTimestamp, labels } = full;
    const base = { name, namespace, uid, resourceVersion, creationTimestamp };
    const summary = {
      image: 'nginx',
      matches: 2,
      packages: 5,
      severities: { critical: 1, high: 2, medium: 3, low: 4 },
      refs: 2,
    };
    let checked = 0;
    for (const d of defs) {
      const t = new TableRenderer(d);
      if (!t.cellsReadFewMetadataFields) continue;
      // What a metadataJson listing gives the cells: the labels only when a column says it reads them.
      const subset = t.cellsReadLabels ? { ...base, labels } : base;
      const row = (metadata: Record<string, unknown>): RowSource => ({
        apiVersion: 'v',
        kind: d.kind,
        metadata: metadata as RowSource['metadata'],
        summary,
      });
      expect(t.cells(row(subset), 0), d.kind).toEqual(t.cells(row(full), 0));
      checked++;
    }
    // Every kind of the registry qualifies today (their columns read summaries and labels), and
    // the label columns are seen as such (SBOMSPDXv2p3Filtered's WORKLOAD and CONTAINER).
    expect(checked).toBe(defs.length);
    expect(defs.filter((d) => new TableRenderer(d).cellsReadLabels).map((d) => d.kind)).toContain(
      'SBOMSPDXv2p3Filtered',
    );
  });

  it('humanDuration reads like kubectl', () => {
    expect([0, 119_000, 600_000, 3 * 3600_000 + 60_000, 50 * 3600_000].map(humanDuration)).toEqual([
      '0s',
      '119s',
      '10m',
      '3h1m',
      '2d2h',
    ]);
  });
});
