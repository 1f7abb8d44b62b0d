/**
 * Acceptance: the real kubectl binary against storage-api (insecure local HTTP, generated
 * kubeconfig), on PGlite and, when DATABASE_URL is set, on PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../../lib/db/testing.js';
import { GROUP, GV, kubectl, kubectlSpawn, req, startTestServer, type TestServer } from './helpers.js';

/** PGlite start-up plus migrations can take a minute on a loaded two-core CI machine. */
const HOOK_TIMEOUT = 180_000;

const manifest = (name: string, high = 2, extra = ''): string => `apiVersion: ${GV}
kind: WorkloadConfigurationScanSummary
metadata:
  name: ${name}
  namespace: default
  labels:
    kubescape.io/workload-kind: Deployment
    kubescape.io/workload-name: ${name}
spec:
  severities: {critical: 1, high: ${high}, medium: 0, low: 1, unknown: 0}
  controls:
    C-0017: {controlID: C-0017, severity: {severity: Low, scoreFactor: 3}, status: {status: failed}}
${extra}`;

forEachDriver('kubectl against storage-api', (driver) => {
  let tdb: CreatedTestDatabase;
  let ts: TestServer;
  beforeAll(async () => {
    tdb = await createTestDatabase(driver);
    ts = await startTestServer(tdb.db);
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await ts?.close();
    await tdb?.drop();
  }, HOOK_TIMEOUT);

  it('api-resources lists the nine kinds with their scope', async () => {
    const r = await kubectl(ts, ['api-resources', `--api-group=${GROUP}`, '--no-headers']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const scope = Object.fromEntries(rows.map((c) => [c[0], c[c.length - 2]]));
    expect(scope).toEqual({
      configurationscansummaries: 'false',
      sbomspdxv2p3filtereds: 'true',
      sbomspdxv2p3s: 'true',
      sbomsummaries: 'true',
      vulnerabilitymanifests: 'true',
      vulnerabilitymanifestsummaries: 'true',
      vulnerabilitysummaries: 'false',
      workloadconfigurationscans: 'true',
      workloadconfigurationscansummaries: 'true',
    });
  });

  it('apply -f creates, a second apply configures, and get prints the printer columns', async () => {
    let r = await kubectl(ts, ['apply', '-f', '-'], manifest('nginx'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/nginx created');
    r = await kubectl(ts, ['apply', '-f', '-'], manifest('nginx', 3));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('configured');
    r = await kubectl(ts, ['get', 'wcss']);
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'AGE']);
    // cells come from the kind's summary: critical 1, high 3 (after the second apply), medium 0, low 1
    expect(row!.split(/\s+/).slice(0, 5)).toEqual(['nginx', '1', '3', '0', '1']);
    // generation bumped by the spec change, last-applied stored by client-side apply
    r = await kubectl(ts, ['get', 'wcss', 'nginx', '-o', "jsonpath={.spec.severities.high} {.metadata.generation}"]);
    expect(r.stdout).toBe('3 2');
  });

  it('-o wide adds priority-1 columns; -A lets kubectl add NAMESPACE', async () => {
    let r = await kubectl(ts, ['get', 'wcss', '-o', 'wide']);
    expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'FAILED', 'CONTROLS', 'KIND', 'RESOURCE', 'AGE']);
    expect(r.stdout).toContain('Deployment');
    r = await kubectl(ts, ['get', 'wcss', '-A']);
    expect(r.stdout.split('\n')[0]!.split(/\s+/).slice(0, 2)).toEqual(['NAMESPACE', 'NAME']);
    expect(r.stdout.split('\n')[1]!.split(/\s+/).slice(0, 2)).toEqual(['default', 'nginx']);
  });

  it('describe and -o yaml show the stored object', async () => {
    let r = await kubectl(ts, ['describe', 'wcss', 'nginx']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Name:\s+nginx/);
    expect(r.stdout).toMatch(/High:\s+3/);
    r = await kubectl(ts, ['get', 'wcss', 'nginx', '-o', 'yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`apiVersion: ${GV}`);
    expect(r.stdout).toMatch(/uid: [0-9a-f-]{36}/);
    expect(r.stdout).toMatch(/resourceVersion: "\d+"/);
  });

  it('-l and --field-selector filter on the server', async () => {
    for (const n of ['a1', 'a2', 'b1']) expect((await kubectl(ts, ['apply', '-f', '-'], manifest(n))).code).toBe(0);
    let r = await kubectl(ts, ['get', 'wcss', '-l', 'kubescape.io/workload-name in (a1,a2)', '-o', 'name']);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/a1',
      'workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/a2',
    ]);
    r = await kubectl(ts, ['get', 'wcss', '--field-selector', 'metadata.name=b1', '-o', 'name']);
    expect(r.stdout.trim()).toBe('workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/b1');
    r = await kubectl(ts, ['get', 'wcss', '--field-selector', 'metadata.name!=b1', '-o', 'name']);
    expect(r.stdout).not.toContain('/b1');
    r = await kubectl(ts, ['get', 'wcss', '-l', '===bad']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/Internal error/);
  });

  it('--chunk-size=2 pages with limit/continue and returns every object', async () => {
    const r = await kubectl(ts, ['get', 'wcss', '--chunk-size=2', '-o', 'name', '-v=6']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4); // nginx a1 a2 b1
    expect(r.stderr).toMatch(/limit=2/);
    expect(r.stderr).toMatch(/continue=/);
  });

  it('get -w streams changes (list watch, and single-object watch)', async () => {
    const all = kubectlSpawn(ts, ['get', 'wcss', '-w', '--output-watch-events']);
    const one = kubectlSpawn(ts, ['get', 'wcss', 'a1', '-w']);
    try {
      await all.waitFor(5); // header + 4 rows
      await one.waitFor(2); // header + a1
      expect((await kubectl(ts, ['patch', 'wcss', 'a1', '--type=merge', '-p', '{"spec":{"severities":{"high":7}}}'])).code).toBe(0);
      const lines = await all.waitFor(6);
      expect(lines[5]).toMatch(/^MODIFIED\s+a1\s/);
      const l1 = await one.waitFor(3);
      expect(l1[2]).toMatch(/^a1\s/);
    } finally {
      all.child.kill();
      one.child.kill();
    }
  });

  it('explain reads the OpenAPI schema', async () => {
    const r = await kubectl(ts, ['explain', 'wcss.spec']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('KIND:       WorkloadConfigurationScanSummary');
    expect(r.stdout).toContain('severities');
  });

  it('apply --server-side creates, detects conflicts, and --force-conflicts takes over', async () => {
    let r = await kubectl(ts, ['apply', '--server-side', '-f', '-'], manifest('ssa'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('serverside-applied');
    r = await kubectl(ts, ['apply', '--server-side', '--field-manager=other', '-f', '-'], manifest('ssa', 9));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('conflict with "kubectl"');
    expect(r.stderr).toContain('.spec.severities.high');
    r = await kubectl(ts, ['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], manifest('ssa', 9));
    expect(r.code, r.stderr).toBe(0);
    r = await kubectl(ts, ['get', 'wcss', 'ssa', '-o', 'jsonpath={.spec.severities.high}']);
    expect(r.stdout).toBe('9');
  });

  it('patch with merge and json patches', async () => {
    let r = await kubectl(ts, ['patch', 'wcss', 'b1', '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
    expect(r.code, r.stderr).toBe(0);
    r = await kubectl(ts, ['patch', 'wcss', 'b1', '--type=json', '-p', '[{"op":"replace","path":"/spec/severities/low","value":4}]']);
    expect(r.code, r.stderr).toBe(0);
    r = await kubectl(ts, ['get', 'wcss', 'b1', '-o', 'jsonpath={.metadata.labels.x} {.spec.severities.low}']);
    expect(r.stdout).toBe('y 4');
    r = await kubectl(ts, ['patch', 'wcss', 'b1', '--type=json', '-p', '[{"op":"test","path":"/spec/severities/low","value":5}]']);
    expect(r.code).not.toBe(0);
    // the default strategic merge patch is refused for these kinds (415)
    r = await kubectl(ts, ['patch', 'wcss', 'b1', '-p', '{"spec":{"severities":{"low":1}}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/UnsupportedMediaType|unknown format|415/i);
  });

  it('delete removes objects, by name and by label', async () => {
    let r = await kubectl(ts, ['delete', 'wcss', 'b1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"b1" deleted');
    r = await kubectl(ts, ['delete', 'wcss', '-l', 'kubescape.io/workload-name in (a1,a2)']);
    expect(r.code, r.stderr).toBe(0);
    r = await kubectl(ts, ['get', 'wcss', '-o', 'name']);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/nginx',
      'workloadconfigurationscansummary.spdx.softwarecomposition.kubescape.io/ssa',
    ]);
    r = await kubectl(ts, ['delete', 'wcss', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('"nope" not found');
  });

  it('virtual kinds: get lists the per-namespace summary; writes are refused', async () => {
    let r = await kubectl(ts, ['get', 'configurationscansummaries', '-o', 'name']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('configurationscansummary.spdx.softwarecomposition.kubescape.io/default');
    r = await kubectl(ts, ['get', 'css', 'default', '-o', 'jsonpath={.spec.summaryRef[*].name}']);
    expect(r.stdout.split(' ').sort()).toEqual(['nginx', 'ssa']);
    // severities are summed over the namespace's summaries: nginx high 3 + ssa high 9
    r = await kubectl(ts, ['get', 'css', 'default', '-o', 'jsonpath={.spec.severities.high} {.spec.severities.critical}']);
    expect(r.stdout).toBe('12 2');
    r = await kubectl(ts, ['delete', 'css', 'default']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/MethodNotAllowed|not supported|not allowed/i);
  });

  it('kubectl version reads /version', async () => {
    const r = await req(ts, 'GET', '/version');
    expect(r.json().gitVersion).toMatch(/^v\d+\.\d+\.\d+/);
  });
});
