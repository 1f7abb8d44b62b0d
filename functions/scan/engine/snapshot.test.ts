/**
 * Report regression snapshot: the full JSON report (held and streamed) of fixed inputs — the
 * examples/cluster manifests and the synthetic cluster the benchmark scans — must stay identical
 * byte for byte while the engine and the controls are optimised. The fixtures are gzipped reports
 * produced by the engine before the optimisations; regenerate them (only for an intended change of
 * results) with `KSCAPE_UPDATE_SNAPSHOTS=1 npx vitest run functions/scan/engine/snapshot.test.ts`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../cli.js';
import { scanResources, type ReportResult, type ScanReport } from '../report.js';
import { syntheticCluster } from './synthetic-cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const dir = join(here, '..', '__fixtures__', 'snapshots');
const now = new Date('2026-01-01T00:00:00Z');
const update = process.env.KSCAPE_UPDATE_SNAPSHOTS === '1';

function check(name: string, actual: string): void {
  const file = join(dir, `${name}.json.gz`);
  if (update || !existsSync(file)) {
    if (!update) throw new Error(`missing snapshot ${file} (set KSCAPE_UPDATE_SNAPSHOTS=1)`);
    writeFileSync(file, gzipSync(actual, { level: 9 }));
    return;
  }
  const expected = gunzipSync(readFileSync(file)).toString('utf8');
  if (actual === expected) return;
  // Narrow the difference down to one resource so a failure is readable.
  const a = JSON.parse(actual) as ScanReport;
  const e = JSON.parse(expected) as ScanReport;
  expect(a.summaryDetails).toEqual(e.summaryDetails);
  const byId = (r: ScanReport) => new Map(r.results.map((x) => [x.resourceID, x]));
  const ea = byId(e);
  for (const r of a.results) expect(r).toEqual(ea.get(r.resourceID));
  expect(actual).toBe(expected);
}

/** Held report, and the streamed one reassembled by the positions onResult reports. */
function both(objects: readonly unknown[]): { held: string; streamed: string } {
  const held = scanResources(objects, { now });
  const emitted: ReportResult[] = [];
  const streamedReport = scanResources(objects, {
    now,
    onResult: (r, position) => {
      expect(emitted[position]).toBeUndefined();
      emitted[position] = r;
    },
  });
  expect(Object.keys(emitted)).toHaveLength(emitted.length); // dense
  return {
    held: JSON.stringify(held),
    streamed: JSON.stringify({ ...streamedReport, results: emitted }),
  };
}

describe('report snapshot', () => {
  it('examples/cluster: identical full report, held and streamed', async () => {
    const loaded = await loadInputs([join(root, 'examples', 'cluster')], {
      readStdin: () => Promise.resolve(''),
      stderr: { write: () => true },
    });
    const { held, streamed } = both(loaded.objects);
    check('examples-cluster', held);
    expect(streamed).toBe(held);
  });

  it('synthetic cluster of 600 workloads: identical full report, held and streamed', () => {
    const { held, streamed } = both(syntheticCluster(600));
    check('synthetic-600', held);
    expect(streamed).toBe(held);
  });
});
