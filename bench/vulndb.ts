/**
 * Vulnerability DB benchmark (real PostgreSQL; DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test; a fresh database is created and dropped):
 *
 * 1. Import throughput of VulnDbStore.import (stream → zod → normalise → unnest INSERTs →
 *    generation flip) for a synthetic OSV corpus with ≥200,000 affected ranges, against a raw
 *    `COPY FROM STDIN` (psql \copy) of exactly the same rows into tables with the same indexes,
 *    measured in the same run. Target: ratio copy_time / import_time ≥ 0.30.
 * 2. matchPackages for 2,000 SBOM packages against that DB: median of 10 runs after 3 warm-ups.
 *    Target ≤ 200 ms.
 * 3. Memory: heap growth of one matching run on a small DB (10% of the corpus) vs the full DB;
 *    it must not grow with DB size (only matching rows leave PostgreSQL).
 *
 *   npm run build && node --expose-gc dist/bench/vulndb.js
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { openDatabase } from '../lib/db/index.js';
import { matchPackages, type SbomPackage } from '../functions/vuln/osv/match.js';
import { toRows } from '../functions/vuln/osv/normalize.js';
import { OsvRecordSchema } from '../functions/vuln/osv/schema.js';
import { VulnDbStore } from '../functions/vuln/osv/store/index.js';

const BASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ADVISORIES = Number(process.env.BENCH_VULNDB_ADVISORIES ?? 100_000);
const AFFECTED_PER_ADVISORY = 2;
const PACKAGES_PER_ECOSYSTEM = 30_000;
const ECOSYSTEMS = ['npm', 'PyPI', 'Debian:12', 'Maven'] as const;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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

async function* corpus(n: number): AsyncGenerator<unknown> {
  for (let i = 0; i < n; i++) yield advisory(i);
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

async function matchStats(
  store: VulnDbStore,
  pkgs: SbomPackage[],
): Promise<{ medianMs: number; runsMs: number[]; matches: number; heapGrowthBytes: number }> {
  for (let i = 0; i < 3; i++) await matchPackages(pkgs, store);
  const runs: number[] = [];
  let matches = 0;
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    matches = (await matchPackages(pkgs, store)).matches.length;
    runs.push(performance.now() - t);
  }
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 1);
  const res = await matchPackages(pkgs, store);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  clearInterval(timer);
  void res;
  return {
    medianMs: median(runs),
    runsMs: runs.map((x) => Math.round(x * 10) / 10),
    matches,
    heapGrowthBytes: peak - before,
  };
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

    // Small DB first (10%): the memory reference for "does not grow with DB size".
    await store.import(corpus(Math.floor(ADVISORIES / 10)), { mode: 'full' });
    const small = await matchStats(store, pkgs);
    process.stdout.write(
      `small DB: match median ${small.medianMs.toFixed(1)} ms, heap growth ${(small.heapGrowthBytes / 1e6).toFixed(1)} MB\n`,
    );

    const t0 = performance.now();
    const imp = await store.import(corpus(ADVISORIES), { mode: 'full', sources: ['synthetic'] });
    const importMs = performance.now() - t0;
    const rows = imp.imported + imp.affectedRows;
    process.stdout.write(
      `import: ${imp.imported} advisories + ${imp.affectedRows} affected in ${(importMs / 1000).toFixed(2)} s\n`,
    );

    // Baseline: the same rows with COPY FROM STDIN into tables with the same indexes.
    const files = writeCopyFiles(dir, ADVISORIES);
    await db.query(`CREATE TABLE copy_adv (LIKE vulndb_advisories INCLUDING ALL)`);
    await db.query(`CREATE TABLE copy_aff (LIKE vulndb_affected INCLUDING ALL)`);
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
    const copyMs = performance.now() - tc;
    if (psql.status !== 0) throw new Error(`psql COPY failed: ${psql.stderr || psql.error?.message}`);
    if (files.rows !== rows) throw new Error(`COPY rows ${files.rows} != imported rows ${rows}`);

    const full = await matchStats(store, pkgs);
    const status = await store.status();
    const result = {
      summary: {
        importRowsPerSec: Math.round(rows / (importMs / 1000)),
        copyRowsPerSec: Math.round(files.rows / (copyMs / 1000)),
        importVsCopyRatio: Math.round((copyMs / importMs) * 1000) / 1000,
        importTarget: '>= 0.30',
        matchMedianMs: Math.round(full.medianMs * 10) / 10,
        matchTarget: '<= 200 ms',
        heapGrowthSmallDbMB: Math.round(small.heapGrowthBytes / 1e5) / 10,
        heapGrowthFullDbMB: Math.round(full.heapGrowthBytes / 1e5) / 10,
      },
      corpus: {
        advisories: imp.imported,
        affectedRanges: imp.affectedRows,
        ecosystems: status.ecosystems,
        packagesMatched: pkgs.length,
        findings: full.matches,
      },
      import: { ms: Math.round(importMs), rows },
      copy: {
        ms: Math.round(copyMs),
        rows: files.rows,
        note: 'psql \\copy (COPY FROM STDIN) of identical rows into LIKE ... INCLUDING ALL tables; includes psql start-up',
      },
      match: { small, full },
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
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
