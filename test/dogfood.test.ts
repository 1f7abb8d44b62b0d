/**
 * Dogfooding (issue 4 acceptance): `kscape scan knative/ --exceptions knative/kscape-exceptions.json`
 * over our own manifests reports no failed control of severity high or critical, every exception
 * says why, and each exception is still needed (an entry that no longer excepts anything is stale
 * and must go, so the file cannot silently widen over time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScan, type CliIO } from '../functions/scan/cli.js';
import { parseExceptions } from '../functions/scan/exceptions.js';
import type { ScanReport } from '../functions/scan/report.js';

const ROOT = join(import.meta.dirname, '..');
const KNATIVE = join(ROOT, 'knative');
const EXCEPTIONS = join(KNATIVE, 'kscape-exceptions.json');

async function scan(args: { exceptions?: string; threshold?: string }): Promise<{
  code: number;
  report: ScanReport;
  stderr: string;
}> {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    readStdin: () => Promise.resolve(''),
    isTTY: false,
    env: {},
  };
  const code = await runScan(
    [KNATIVE],
    {
      format: 'json',
      ...(args.exceptions ? { exceptions: args.exceptions } : {}),
      ...(args.threshold ? { severityThreshold: args.threshold } : {}),
    },
    io,
  );
  return { code, report: JSON.parse(out) as ScanReport, stderr: err };
}

const highFailures = (report: ScanReport): string[] =>
  report.results.flatMap((r) =>
    r.controls
      .filter((c) => c.status.status === 'failed' && (c.severity === 'High' || c.severity === 'Critical'))
      .map((c) => `${c.controlID} ${r.resourceID}`),
  );

describe('kscape scan knative/ (dogfooding)', () => {
  it('reports no failed high or critical control with the exceptions file', async () => {
    const { code, report, stderr } = await scan({ exceptions: EXCEPTIONS, threshold: 'high' });
    expect(stderr).toBe(''); // every file parsed, the exceptions file is not read as a manifest
    expect(highFailures(report)).toEqual([]);
    expect(code).toBe(0);
    // The knative/ tree was really scanned (workloads, RBAC subjects, the namespace).
    const ids = report.results.map((r) => r.resourceID);
    expect(ids).toContain('apps/v1//DaemonSet/kscape-node-agent');
    expect(ids).toContain('apps/v1//Deployment/kscape-storage-api');
    expect(ids).toContain('/v1//Namespace/kubescape');
  }, 60_000);

  it('needs every exception: without the file the excepted controls fail', async () => {
    const { code, report } = await scan({ threshold: 'high' });
    expect(code).toBe(1);
    const failing = new Set(highFailures(report));
    const policies = parseExceptions(readFileSync(EXCEPTIONS, 'utf8'));
    const withExceptions = (await scan({ exceptions: EXCEPTIONS })).report;
    for (const p of policies) {
      expect(p.reason?.trim().length ?? 0, `${p.name} has a reason`).toBeGreaterThan(40);
      // Each policy excepts at least one result that fails without it.
      const used = withExceptions.results.some((r) =>
        r.controls.some((c) => c.rules.some((rule) => rule.exception?.some((e) => e.name === p.name))),
      );
      expect(used, `${p.name} still excepts something`).toBe(true);
    }
    expect(failing.size).toBeGreaterThan(0);
  }, 60_000);
});
