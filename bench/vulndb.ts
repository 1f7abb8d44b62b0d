/**
 * Vulnerability DB benchmark (real PostgreSQL; DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test; a fresh database is created and dropped):
 *
 * 1. Import throughput of VulnDbStore.import (stream → zod → normalise → COPY per batch →
 *    content hash → generation flip → ANALYZE → old generation deleted) for a synthetic OSV corpus
 *    with ≥200,000 affected ranges, against a raw `COPY FROM STDIN` (psql \copy) of exactly the same
 *    rows into tables with the same indexes, measured in the same run.
 *    Target: ratio copy_time / import_time ≥ 0.30.
 * 2. matchPackages for 2,000 SBOM packages against that DB: median of 10 runs after 3 warm-ups.
 *    Target ≤ 200 ms.
 * 3. Memory: the matching runs in a FRESH child process (the vuln function's situation: it opens
 *    the DB and queries) against two DB sizes: the full DB, and a small DB holding only the
 *    advisories that touch the SBOM's packages (~3% of the full one). Both give the same
 *    findings, so any difference in RSS or heap is the DB size leaking into the process.
 *
 *   npm run build && node dist/bench/vulndb.js
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { openDatabase, type Database } from '../lib/db/index.js';
import { lookupKeys, matchPackages, type MatchStore, type SbomPackage } from '../functions/vuln/osv/match.js';
import { toRows } from '../functions/vuln/osv/normalize.js';
import { OsvRecordSchema } from '../functions/vuln/osv/schema.js';
import { VulnDbStore, type ImportResult } from '../functions/vuln/osv/store/index.js';
import { mulberry32 } from '../lib/random/mulberry32.js';

const BASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ADVISORIES = Number(process.env.BENCH_VULNDB_ADVISORIES ?? 100_000);
const AFFECTED_PER_ADVISORY = 2;
const REPS = Number(process.env.BENCH_VULNDB_REPS ?? 3);
const PACKAGES_PER_ECOSYSTEM = 30_000;
const ECOSYSTEMS = ['npm', 'PyPI', 'Debian:12', 'Maven'] as const;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

class Prng {
  /** mulberry32: the same synthetic DB every run. */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function pkgName(eco: string, i: number): string {
  return eco === 'Maven'
    ? `org.example.g${i % 97}:artifact-${i}`
    : eco === 'PyPI'
      ? `py-pkg-${i}`
      : `pkg-${i}`;
}

function version(eco: string, a: number, b: number, c: number): string {
  return eco === 'Debian:12' ? `${a}.${b}.${c}-1` : `${a}.${b}.${c}`;
}

/** Deterministic synthetic advisory i (same output for the import and the COPY baseline). */
function advisory(i: number): Record<string, unknown> {
  const r = new Prng(i * 7919 + 1);
  const affected = [];
  for (let k = 0; k < AFFECTED_PER_ADVISORY; k++) {
    const eco = ECOSYSTEMS[r.int(ECOSYSTEMS.length)]!;
    const a = r.int(5);
    const b = r.int(20);
    affected.push({
      package: { ecosystem: eco, name: pkgName(eco, r.int(PACKAGES_PER_ECOSYSTEM)) },
      ranges: [
        {
          type: 'ECOSYSTEM',
          events: [
            { introduced: version(eco, a, b, 0) },
            { fixed: version(eco, a, b + 1 + r.int(3), r.int(10)) },
          ],
        },
      ],
    });
  }
  return {
    id: `BENCH-${i}`,
    modified: '2025-01-01T00:00:00Z',
    published: '2024-06-01T00:00:00Z',
    aliases: [`CVE-2025-${100000 + i}`],
    summary: `synthetic advisory ${i}`,
    severity: [
      {
        type: 'CVSS_V3',
        score:
          r.next() < 0.5
            ? 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'
            : 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N',
      },
    ],
    affected,
  };
}

async function* corpus(
  n: number,
  keep: (a: Record<string, unknown>) => boolean = () => true,
): AsyncGenerator<unknown> {
  for (let i = 0; i < n; i++) {
    const a = advisory(i);
    if (keep(a)) yield a;
  }
}

/** Does the advisory touch one of the SBOM's (ecosystem, name) keys? */
function touches(keys: ReadonlySet<string>): (a: Record<string, unknown>) => boolean {
  return (a) =>
    (a.affected as { package: { ecosystem: string; name: string } }[]).some((f) =>
      keys.has(`${f.package.ecosystem}\u0000${f.package.name}`),
    );
}

function sbomKeys(pkgs: readonly SbomPackage[]): Set<string> {
  return new Set(pkgs.flatMap((p) => lookupKeys(p).map((k) => `${k.ecosystem}\u0000${k.name}`)));
}

/** COPY text-format escaping. */
function esc(v: string | number | null): string {
  if (v === null) return '\\N';
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function pgArray(xs: readonly string[]): string {
  return `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Same rows as the importer writes, as COPY files (generation 1). */
function writeCopyFiles(dir: string, n: number): { adv: string; aff: string; rows: number } {
  const adv: string[] = [];
  const aff: string[] = [];
  for (let i = 0; i < n; i++) {
    const { advisory: a, affected } = toRows(OsvRecordSchema.parse(advisory(i)));
    adv.push(
      [1, a.id, a.modified, a.published, a.withdrawn, a.summary, pgArray(a.aliases), JSON.stringify(a.raw)]
        .map(esc)
        .join('\t'),
    );
    for (const f of affected)
      aff.push(
        [
          1,
          f.advisoryId,
          f.ecosystem,
          f.name,
          JSON.stringify(f.ranges),
          pgArray(f.versions),
          f.severity,
          f.score,
          f.vector,
          f.fixHint,
        ]
          .map(esc)
          .join('\t'),
      );
  }
  const advPath = join(dir, 'adv.tsv');
  const affPath = join(dir, 'aff.tsv');
  writeFileSync(advPath, adv.join('\n') + '\n');
  writeFileSync(affPath, aff.join('\n') + '\n');
  return { adv: advPath, aff: affPath, rows: adv.length + aff.length };
}

function sbom(count: number, seed: number): SbomPackage[] {
  const r = new Prng(seed);
  const out: SbomPackage[] = [];
  for (let i = 0; i < count; i++) {
    const eco = ECOSYSTEMS[r.int(ECOSYSTEMS.length)]!;
    const name = pkgName(eco, r.int(PACKAGES_PER_ECOSYSTEM));
    const v = version(eco, r.int(5), r.int(25), r.int(10));
    if (eco === 'Debian:12')
      out.push({ name, version: v, type: 'deb', distro: { id: 'debian', versionId: '12' } });
    else if (eco === 'Maven') {
      const [g, a] = name.split(':');
      out.push({ name: a!, version: v, type: 'java-archive', purl: `pkg:maven/${g}/${a}@${v}` });
    } else out.push({ name, version: v, type: eco === 'npm' ? 'npm' : 'python' });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface MatchStats {
  medianMs: number;
  runsMs: number[];
  /** CPU cost of one matching run in node and in the PostgreSQL backends (load-independent). */
  nodeCpuMsPerRun: number;
  serverCpuMsPerRun: number | null;
  /** Time waiting for store calls / matching time (PostgreSQL + decoding; >1 when batches overlap). */
  lookupShare: number;
  findings: number;
  /** Heap used right after opening the DB, and its growth during one matching run (after GC). */
  heapAfterOpenMB: number;
  heapGrowthMB: number;
  /** Resident set size after opening the DB, and its peak over all matching runs. */
  rssAfterOpenMB: number;
  rssPeakMB: number;
}

const mb = (x: number): number => Math.round(x / 1e5) / 10;

/**
 * CPU time (ms) used so far by this database's server backends, from /proc (the server runs on
 * this machine in the bench setup; null when it does not). With node's own CPU time this gives a
 * cost per match that does not depend on how busy the shared machine is.
 */
async function backendCpuMs(db: Database): Promise<number | null> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`,
  );
  let ticks = 0;
  try {
    for (const { pid } of rows) {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    }
  } catch {
    return null;
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Child-process side: open the DB like the vuln function does, match, report. */
async function measureMatch(url: string): Promise<MatchStats> {
  const db = await openDatabase({ url, config: { KSCAPE_DB_POOL_MAX: 4, KSCAPE_DB_STATEMENT_TIMEOUT: 0 } });
  try {
    const real = await VulnDbStore.open(db);
    let lookupMs = 0;
    // Time spent waiting for PostgreSQL (statements + row decoding), to split DB from JS work.
    const timed = async <T>(p: Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await p;
      } finally {
        lookupMs += performance.now() - t;
      }
    };
    const store: MatchStore = {
      lookupAffected: (keys) => timed(real.lookupAffected(keys)),
      advisories: (g, ids) => timed(real.advisories(g, ids)),
    };
    const pkgs = sbom(2000, 42);
    gc();
    const heapAfterOpen = process.memoryUsage().heapUsed;
    const rssAfterOpen = process.memoryUsage.rss();
    for (let i = 0; i < 3; i++) await matchPackages(pkgs, store);
    // Timed runs without samplers (a 1 ms timer would itself slow the runs down).
    const runs: number[] = [];
    let findings = 0;
    lookupMs = 0;
    // Backends started by the warm-up runs are all open now (the pool keeps them).
    const pg0 = await backendCpuMs(db);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      findings = (await matchPackages(pkgs, store)).matches.length;
      runs.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    const pg1 = await backendCpuMs(db);
    // Memory runs: heap growth of one run after a full GC, RSS peak over three runs.
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let rssPeak = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed);
      rssPeak = Math.max(rssPeak, m.rss);
    }, 2);
    for (let i = 0; i < 3; i++) await matchPackages(pkgs, store);
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
    clearInterval(sampler);
    return {
      medianMs: Math.round(median(runs) * 10) / 10,
      nodeCpuMsPerRun: Math.round((cpu.user + cpu.system) / 1000 / runs.length),
      serverCpuMsPerRun: pg0 === null || pg1 === null ? null : Math.round((pg1 - pg0) / runs.length),
      lookupShare: Math.round((lookupMs / runs.reduce((x, y) => x + y, 0)) * 100) / 100,
      runsMs: runs.map((x) => Math.round(x * 10) / 10),
      findings,
      heapAfterOpenMB: mb(heapAfterOpen),
      heapGrowthMB: mb(peak - before),
      rssAfterOpenMB: mb(rssAfterOpen),
      rssPeakMB: mb(rssPeak),
    };
  } finally {
    await db.close();
  }
}

/** Parent side: a fresh node process per measurement, so RSS reflects matching alone. */
function matchInChild(url: string): MatchStats {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--measure-match', url],
    {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  if (r.status !== 0) throw new Error(`match child failed: ${r.stderr || r.error?.message}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('MATCH '));
  if (!line) throw new Error(`match child printed no result: ${r.stdout.slice(0, 500)}`);
  return JSON.parse(line.slice(6)) as MatchStats;
}

async function main(): Promise<void> {
  const name = `kscape_bench_vulndb_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dir = mkdtempSync(join(tmpdir(), 'bench-vulndb-'));
  const db = await openDatabase({ url, config: { KSCAPE_DB_POOL_MAX: 4, KSCAPE_DB_STATEMENT_TIMEOUT: 0 } });
  try {
    const store = await VulnDbStore.open(db);
    const pkgs = sbom(2000, 42);

    // The COPY baseline files and tables (same rows as the import, same indexes).
    const files = writeCopyFiles(dir, ADVISORIES);
    await db.query(`CREATE TABLE copy_adv (LIKE vulndb_advisories INCLUDING ALL)`);
    await db.query(`CREATE TABLE copy_aff (LIKE vulndb_affected INCLUDING ALL)`);
    const copyOnce = async (): Promise<number> => {
      await db.query(`TRUNCATE copy_adv, copy_aff`);
      const tc = performance.now();
      const psql = spawnSync(
        'psql',
        [
          url,
          '-v',
          'ON_ERROR_STOP=1',
          '-q',
          '-c',
          `\\copy copy_adv FROM '${files.adv}'`,
          '-c',
          `\\copy copy_aff FROM '${files.aff}'`,
        ],
        { encoding: 'utf8' },
      );
      const ms = performance.now() - tc;
      if (psql.status !== 0) throw new Error(`psql COPY failed: ${psql.stderr || psql.error?.message}`);
      return ms;
    };

    // Each repetition: the small DB (untimed; it is also the memory reference), then the timed full
    // import replacing it, then the timed COPY of the same rows. Interleaving them exposes both to
    // the same machine load, which on a shared box matters more than anything else.
    let small: MatchStats | undefined;
    let smallRanges = 0;
    let imp: ImportResult | undefined;
    const importRuns: number[] = [];
    const copyRuns: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const smallImp = await store.import(corpus(ADVISORIES, touches(sbomKeys(pkgs))), { mode: 'full' });
      smallRanges = smallImp.affectedRows;
      // Untimed: what autovacuum does between two real updates (hours apart). Without it every
      // repetition inherits the previous generation's dead rows and the runs are not comparable.
      await db.query(`VACUUM ANALYZE vulndb_advisories, vulndb_affected`);
      if (rep === 0) {
        small = matchInChild(url);
        process.stdout.write(
          `small DB (${smallRanges} ranges): match median ${small.medianMs} ms, ${small.findings} findings, RSS peak ${small.rssPeakMB} MB, heap growth ${small.heapGrowthMB} MB\n`,
        );
      }
      const t0 = performance.now();
      imp = await store.import(corpus(ADVISORIES), { mode: 'full', sources: ['synthetic'] });
      importRuns.push(performance.now() - t0);
      copyRuns.push(await copyOnce());
      process.stdout.write(
        `rep ${rep}: import ${imp.imported} advisories + ${imp.affectedRows} affected in ${(importRuns[rep]! / 1000).toFixed(2)} s, COPY ${(copyRuns[rep]! / 1000).toFixed(2)} s\n`,
      );
    }
    await db.query(`DROP TABLE copy_adv, copy_aff`);
    await db.query(`VACUUM ANALYZE vulndb_advisories, vulndb_affected`);
    if (!imp || !small) throw new Error('no repetitions');
    const rows = imp.imported + imp.affectedRows;
    if (files.rows !== rows) throw new Error(`COPY rows ${files.rows} != imported rows ${rows}`);
    const importMs = median(importRuns);
    const copyMs = median(copyRuns);

    const full = matchInChild(url);
    process.stdout.write(
      `full DB (${imp.affectedRows} ranges): match median ${full.medianMs} ms, ${full.findings} findings, RSS peak ${full.rssPeakMB} MB, heap growth ${full.heapGrowthMB} MB\n`,
    );
    if (full.findings !== small.findings)
      throw new Error(`findings differ: small ${small.findings}, full ${full.findings}`);
    const status = await store.status();
    const result = {
      summary: {
        importRowsPerSec: Math.round(rows / (importMs / 1000)),
        copyRowsPerSec: Math.round(files.rows / (copyMs / 1000)),
        importVsCopyRatio: Math.round((copyMs / importMs) * 1000) / 1000,
        importVsCopyRatioPerRep: importRuns.map((ms, i) => Math.round((copyRuns[i]! / ms) * 1000) / 1000),
        importTarget: '>= 0.30',
        matchMedianMs: full.medianMs,
        matchCpuMsPerRun: { node: full.nodeCpuMsPerRun, server: full.serverCpuMsPerRun },
        matchTarget: '<= 200 ms',
        rangesSmallDb: smallRanges,
        rangesFullDb: imp.affectedRows,
        rssPeakSmallDbMB: small.rssPeakMB,
        rssPeakFullDbMB: full.rssPeakMB,
        heapGrowthSmallDbMB: small.heapGrowthMB,
        heapGrowthFullDbMB: full.heapGrowthMB,
      },
      corpus: {
        advisories: imp.imported,
        affectedRanges: imp.affectedRows,
        ecosystems: status.ecosystems,
        packagesMatched: pkgs.length,
        findings: full.findings,
      },
      import: { medianMs: Math.round(importMs), runsMs: importRuns.map(Math.round), rows },
      copy: {
        medianMs: Math.round(copyMs),
        runsMs: copyRuns.map(Math.round),
        rows: files.rows,
        note: 'psql \\copy (COPY FROM STDIN) of identical rows into LIKE ... INCLUDING ALL tables; includes psql start-up',
      },
      match: {
        small,
        full,
        note: 'each measured in a fresh child process; small DB = advisories touching the SBOM packages',
      },
      load: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      at: new Date().toISOString(),
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'vulndb.json'), JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    // BENCH_VULNDB_KEEP=1 leaves the database for EXPLAIN sessions.
    if (process.env.BENCH_VULNDB_KEEP === '1') process.stdout.write(`kept database ${name}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv[2] === '--measure-match') {
  process.stdout.write(`MATCH ${JSON.stringify(await measureMatch(process.argv[3]!))}\n`);
} else {
  await main();
}
