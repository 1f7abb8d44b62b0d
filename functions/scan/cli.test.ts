import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runScan, ScanUsageError, type CliIO } from './cli.js';
import type { ScanReport } from './index.js';
import { buildOnce, CLI } from '../../test/support/build.js';

const PRIVILEGED = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext:
            privileged: true
`;

const HARDENED = `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"shop"},"data":{"a":"b"}}]}`;

const ESC = new RegExp(`${String.fromCharCode(27)}\\[`);

function io(stdin = ''): CliIO & { out: string; err: string } {
  const o = {
    out: '',
    err: '',
    stdout: { write: (s: string) => (o.out += s) },
    stderr: { write: (s: string) => (o.err += s) },
    readStdin: async () => stdin,
    isTTY: false,
    env: {},
  };
  return o;
}

describe('kscape scan (in-process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kscape-scan-cli-'));
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'web.yaml'), PRIVILEGED);
    writeFileSync(join(dir, 'm', 'list.json'), HARDENED);
    writeFileSync(join(dir, 'm', 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('json: the engine report with Kubescape resource IDs; a malformed file is reported with file:line and the rest scanned', async () => {
    const x = io();
    const code = await runScan([join(dir, 'm')], { format: 'json', control: ['C-0057'] }, x);
    const report = JSON.parse(x.out) as ScanReport;
    expect(report.results.map((r) => r.resourceID)).toContain('apps/v1/shop/Deployment/web');
    expect(report.summaryDetails.controls['C-0057']?.status).toBe('failed');
    expect(x.err).toMatch(/broken\.yaml:\d+: /);
    expect(code).toBe(1);
  });

  it('exit code 0 without malformed input and below the threshold, 1 at or above it', async () => {
    const file = join(dir, 'm', 'web.yaml');
    expect(await runScan([file], { control: 'C-0057', severityThreshold: 'critical' }, io())).toBe(0);
    const x = io();
    expect(await runScan([file], { control: 'C-0057', severityThreshold: 'high' }, x)).toBe(1);
    expect(x.err).toMatch(/at or above severity high/);
  });

  it('reads stdin with -', async () => {
    const x = io(PRIVILEGED);
    await runScan(['-'], { format: 'json', control: 'C-0057' }, x);
    expect((JSON.parse(x.out) as ScanReport).results[0]?.resourceID).toBe('apps/v1/shop/Deployment/web');
  });

  it('unknown framework or control: usage error listing the valid names', async () => {
    await expect(runScan([dir], { framework: 'nsa,bogus' }, io())).rejects.toThrow(ScanUsageError);
    await expect(runScan([dir], { framework: ['bogus'] }, io())).rejects.toThrow(/valid frameworks: .*NSA/);
    await expect(runScan([dir], { control: ['C-9999'] }, io())).rejects.toThrow(/C-9999.*valid controls/);
    await expect(runScan([dir], { format: 'xml' }, io())).rejects.toThrow(
      /valid formats: pretty, json, sarif, junit/,
    );
  });

  it('sarif 2.1.0: one result per failed control × resource, rules for each', async () => {
    const x = io();
    await runScan([join(dir, 'm', 'web.yaml')], { format: 'sarif', framework: 'nsa' }, x);
    const sarif = JSON.parse(x.out) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          locations: { logicalLocations: { fullyQualifiedName: string }[] }[];
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    const json = io();
    await runScan([join(dir, 'm', 'web.yaml')], { format: 'json', framework: 'nsa' }, json);
    const report = JSON.parse(json.out) as ScanReport;
    const failedPairs = report.results.flatMap((r) =>
      r.controls.filter((c) => c.status.status === 'failed').map((c) => `${r.resourceID}#${c.controlID}`),
    );
    expect(
      run.results.map((r) => `${r.locations[0]!.logicalLocations[0]!.fullyQualifiedName}#${r.ruleId}`).sort(),
    ).toEqual(failedPairs.sort());
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });

  it('junit: well-formed XML with one failing testcase per failed control × resource', async () => {
    const x = io();
    await runScan([join(dir, 'm', 'web.yaml')], { format: 'junit', control: ['C-0057', 'C-0017'] }, x);
    expect(x.out.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect((x.out.match(/<testcase /g) ?? []).length).toBe(2);
    expect((x.out.match(/<failure /g) ?? []).length).toBe(2);
    // Balanced tags, escaped attributes.
    expect((x.out.match(/<testsuite /g) ?? []).length).toBe((x.out.match(/<\/testsuite>/g) ?? []).length);
    expect(x.out).not.toMatch(/="[^"]*[<>][^"]*"/);
  });

  it('pretty: a table without colours when not a TTY, with colours on a TTY unless NO_COLOR', async () => {
    const file = join(dir, 'm', 'web.yaml');
    const plain = io();
    await runScan([file], { control: 'C-0057' }, plain);
    expect(plain.out).toMatch(/SEVERITY\s+CONTROL\s+NAME/);
    expect(plain.out).toMatch(/C-0057/);
    expect(plain.out).not.toMatch(ESC);
    const tty = { ...io(), isTTY: true };
    let out = '';
    tty.stdout = { write: (s: string) => (out += s) };
    await runScan([file], { control: 'C-0057' }, tty);
    expect(out).toMatch(ESC);
    let out2 = '';
    await runScan(
      [file],
      { control: 'C-0057' },
      { ...tty, env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (out2 += s) } },
    );
    expect(out2).not.toMatch(ESC);
  });

  it('--output writes the report to a file; exceptions turn a failure into a pass', async () => {
    const exc = join(dir, 'exceptions.yaml');
    writeFileSync(
      exc,
      `- name: allow-web\n  policyType: postureExceptionPolicy\n  actions: [alertOnly]\n  resources:\n    - designatorType: Attributes\n      attributes: { kind: Deployment, name: web }\n  posturePolicies:\n    - controlID: C-0057\n`,
    );
    const out = join(dir, 'report.json');
    await runScan(
      [join(dir, 'm', 'web.yaml')],
      { format: 'json', control: 'C-0057', exceptions: exc, output: out },
      io(),
    );
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport;
    expect(report.summaryDetails.controls['C-0057']?.status).toBe('passed');
    expect(report.summaryDetails.controls['C-0057']?.subStatus).toBe('w/exceptions');
  });

  it('dogfooding: scans our own knative/ manifests', async () => {
    const x = io();
    await runScan(['knative'], { format: 'json', framework: 'nsa' }, x);
    const report = JSON.parse(x.out) as ScanReport;
    expect(report.results.length).toBeGreaterThan(10);
    expect(x.err).toBe('');
  });
});

describe('kscape scan (compiled CLI)', () => {
  it('exits 2 listing valid frameworks, 1 over the threshold', async () => {
    // Build first, so the test runs the CLI of these sources (never a stale or missing dist/).
    buildOnce();
    const cli = CLI;
    const run = promisify(execFile);
    const bad = await run(process.execPath, [cli, 'scan', 'knative', '--framework', 'bogus']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/valid frameworks/);
    const over = await run(process.execPath, [
      cli,
      'scan',
      'examples/cluster',
      '--control',
      'C-0057',
      '--severity-threshold',
      'high',
      '--format',
      'json',
    ]).catch((e: { code: number; stdout: string }) => e);
    expect((over as { code: number }).code).toBe(1);
    expect(parseYaml((over as { stdout: string }).stdout)).toHaveProperty('summaryDetails');
  });
});
