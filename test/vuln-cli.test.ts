/**
 * `kscape sbom`, `kscape vuln` and `kscape db` run as users run them: the compiled CLI in a child
 * process, on the fixture image (OCI layout) and fixture OSV records. The database is embedded
 * PGlite under a temporary KSCAPE_HOME, and, when DATABASE_URL is set, a fresh PostgreSQL database.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURE_OSV, FIXTURE_OSV_UPDATE, writeFixtureImage, writeOsvZip } from '../functions/vuln/function-testing.js';
import { validateSpdx } from '../functions/vuln/sbom/validate.js';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../lib/db/testing.js';
import { buildOnce, CLI, ROOT } from './support/build.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

forEachDriver('kscape sbom / vuln / db (built CLI)', (driver) => {
  let dir: string;
  let home: string;
  let tdb: CreatedTestDatabase | undefined;
  let image: Awaited<ReturnType<typeof writeFixtureImage>>;
  let server: Server;
  let mirror: string;

  const run = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, KSCAPE_HOME: home };
      delete env.LOG_LEVEL;
      if (tdb?.url) env.DATABASE_URL = tdb.url;
      else delete env.DATABASE_URL;
      execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  beforeAll(async () => {
    buildOnce();
    dir = mkdtempSync(join(tmpdir(), 'kscape-vuln-cli-'));
    home = join(dir, 'home');
    if (driver === 'pg') tdb = await createTestDatabase('pg');
    image = await writeFixtureImage();
    writeOsvZip(join(dir, 'all.zip'), FIXTURE_OSV.slice(0, 3));
    writeFileSync(join(dir, 'more.ndjson'), FIXTURE_OSV.slice(3).map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeOsvZip(join(dir, 'Debian.zip'), [...FIXTURE_OSV, ...FIXTURE_OSV_UPDATE]);
    server = createServer((req, res) => {
      if (req.url === '/Debian/all.zip') res.writeHead(200, { 'content-type': 'application/zip' }).end(readFileSync(join(dir, 'Debian.zip')));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    mirror = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }, 600_000);
  afterAll(async () => {
    server?.close();
    image?.close();
    await tdb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every command has --help', async () => {
    for (const args of [['sbom'], ['vuln'], ['db'], ['db', 'import'], ['db', 'update'], ['db', 'status']]) {
      const r = await run([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: kscape ${args.join(' ')}`);
    }
  });

  it('db status on an empty DB, then db import of a zip and an NDJSON file, then status', async () => {
    let r = await run(['db', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/empty \(run kscape db update/);
    if (driver === 'pglite') expect(existsSync(join(home, 'vulndb'))).toBe(true);
    r = await run(['db', 'import', join(dir, 'all.zip'), join(dir, 'more.ndjson')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`imported ${FIXTURE_OSV.length} advisories`));
    expect(r.stderr).toMatch(/read 6 records/);
    r = await run(['db', 'status', '--json']);
    const s = JSON.parse(r.stdout) as { advisories: number; withdrawn: number; ecosystems: { ecosystem: string }[]; contentHash: string };
    expect(s.advisories).toBe(FIXTURE_OSV.length);
    expect(s.withdrawn).toBe(1);
    expect(s.ecosystems.map((e) => e.ecosystem)).toEqual(['Debian:11', 'Debian:12']);
    r = await run(['db', 'status']);
    expect(r.stdout).toMatch(/advisories:\s+6 \(1 withdrawn\)/);
    expect(r.stdout).toMatch(/Debian:12\s+\d+\s+\d+/);
  });

  it('sbom: table, SPDX 2.3 (schema-valid) and CycloneDX 1.5, to stdout or a file', async () => {
    const ref = `oci:${image.dir}:latest`;
    let r = await run(['sbom', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 packages/);
    expect(r.stdout).toMatch(/^libc6\s+2\.36-9\+deb12u4\s+deb$/m);
    r = await run(['sbom', ref, '--format', 'spdx-json']);
    const spdx = JSON.parse(r.stdout) as { packages: { name: string }[] };
    expect(validateSpdx(spdx).errors).toEqual([]);
    expect(spdx.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['libc6', 'libssl3', 'zlib1g', 'bash']));
    r = await run(['sbom', ref, '--format', 'cyclonedx', '-o', join(dir, 'bom.cdx.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const cdx = JSON.parse(readFileSync(join(dir, 'bom.cdx.json'), 'utf8')) as { specVersion: string; components: unknown[] };
    expect(cdx.specVersion).toBe('1.5');
    expect(cdx.components).toHaveLength(4);
    r = await run(['sbom', ref, '--format', 'spdx', '-o', join(dir, 'sbom.spdx.json')]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('vuln: exactly the fixture findings, JSON payload, thresholds, and an SBOM file as input', async () => {
    const ref = `oci:${image.dir}:latest`;
    let r = await run(['vuln', ref]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['PACKAGE', 'VERSION', 'TYPE', 'VULNERABILITY', 'SEVERITY', 'FIX STATE', 'FIXED IN']);
    expect(rows[1]).toMatch(/^libc6\s+2\.36-9\+deb12u4\s+deb\s+CVE-2024-0001\s+High\s+not-fixed\s*$/);
    expect(rows[2]).toMatch(/^libssl3\s+3\.0\.11-1~deb12u1\s+deb\s+CVE-2023-5678\s+Critical\s+fixed\s+3\.0\.11-1~deb12u2$/);
    expect(rows[3]).toMatch(/^2 vulnerabilities in 4 packages \(critical 1, high 1, medium 0/);
    r = await run(['vuln', ref, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { matches: { vulnerability: { id: string }; relatedVulnerabilities: { id: string }[] }[] };
    expect(doc.matches.map((m) => m.vulnerability.id)).toEqual(['CVE-2024-0001', 'CVE-2023-5678']);
    expect(doc.matches[1]!.relatedVulnerabilities.map((x) => x.id)).toEqual(['DEBIAN-CVE-2023-5678', 'DSA-5532-1']);
    r = await run(['vuln', ref, '--format', 'sarif']);
    expect(r.code, r.stderr).toBe(0);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } }; results: { ruleId: string; level: string }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(['CVE-2024-0001', 'CVE-2023-5678']);
    expect(sarif.runs[0]!.tool.driver.rules[1]!.properties['security-severity']).toBe('9.8');
    expect(sarif.runs[0]!.results.map((x) => [x.ruleId, x.level])).toEqual([
      ['CVE-2024-0001', 'error'],
      ['CVE-2023-5678', 'error'],
    ]);
    r = await run(['vuln', ref, '--severity-threshold', 'critical']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 finding\(s\) at or above critical/);
    r = await run(['vuln', join(dir, 'sbom.spdx.json'), '--fail-on', 'high']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2 vulnerabilities in 4 packages/);
  });

  it('db update from a mirror adds the newer record; vuln then reports it', async () => {
    let r = await run(['db', 'update', '--base-url', mirror, '--ecosystem', 'Debian']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^updated: generation \d+/);
    r = await run(['vuln', `oci:${image.dir}:latest`]);
    expect(r.stdout).toMatch(/zlib1g\s+1:1\.2\.13\.dfsg-1\s+deb\s+CVE-2023-45853/);
    r = await run(['db', 'update', '--base-url', 'http://127.0.0.1:1', '--ecosystem', 'Debian']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kscape: download failed: http:\/\/127\.0\.0\.1:1\/Debian\/all\.zip/m);
    expect(r.stderr).not.toMatch(/"level"/);
  });

  it('clear errors, never stack traces', async () => {
    const cases: [string[], number, RegExp][] = [
      [['sbom', join(dir, 'nope')], 1, /^kscape: /],
      [['sbom', `oci:${join(dir, 'missing')}:latest`], 1, /^kscape: /],
      [['sbom', 'oci:/x:latest', '--format', 'xml'], 2, /--format must be/],
      [['vuln', 'oci:/x:latest', '--severity-threshold', 'severe'], 2, /--severity-threshold must be one of/],
      [['vuln', join(dir, 'bom.cdx.json')], 2, /CycloneDX input is not supported/],
      [['db', 'import', join(dir, 'absent.zip')], 2, /no such file/],
      [['db', 'import', join(dir, 'all.zip'), '--mode', 'sideways'], 2, /--mode must be full or incremental/],
    ];
    for (const [args, code, re] of cases) {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
