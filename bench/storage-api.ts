/**
 * storage-api read-path benchmark on real PostgreSQL (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test; a fresh database is created and dropped).
 *
 *   node --expose-gc dist/bench/storage-api.js        (BENCH_OBJECTS, BENCH_SPEC_BYTES, BENCH_SBOM_BYTES to resize)
 *
 * 1. Metadata-only lists over HTTP vs the physical baseline measured in the same run: a raw
 *    `SELECT` of the metadata columns of the same rows plus JSON serialization. A Table LIST and a
 *    PartialObjectMetadataList of N objects with 1 MB specs must cost at most ~2x the baseline:
 *    they must never read (detoast) the specs.
 * 2. GET of a 20 MB SBOM: peak extra heap and RSS while serving it, relative to the object size
 *    (target: at most 2 copies), next to a raw `SELECT body` of the same row.
 *
 * Prints a table and writes bench/results/storage-api.json.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { pino } from 'pino';
import { setRootLogger } from '../lib/log/index.js';
import { openDatabase, type Database } from '../lib/db/index.js';
import { startStorageServer } from '../storage-api/server.js';
import { kubescapeResources, resourceKey } from '../storage-api/registry/index.js';

setRootLogger(pino({ level: process.env.LOG_LEVEL ?? 'warn' }));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = Number(process.env.BENCH_OBJECTS ?? 10_000);
const SPEC_BYTES = Number(process.env.BENCH_SPEC_BYTES ?? 1_000_000);
const SBOM_BYTES = Number(process.env.BENCH_SBOM_BYTES ?? 20_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GROUP = 'spdx.softwarecomposition.kubescape.io';
const NS = 'bench';
const MB = 1024 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..', 'bench', 'results') : join(here, 'results');

/** A VulnerabilityManifest spec of about `bytes`: realistic match entries, varied enough not to collapse under TOAST compression. */
function vmSpec(bytes: number): Record<string, unknown> {
  const matches: unknown[] = [];
  let size = 0;
  let i = 0;
  while (size < bytes) {
    const m = {
      vulnerability: {
        id: `CVE-2024-${10000 + i}`,
        dataSource: `https://nvd.nist.gov/vuln/detail/CVE-2024-${10000 + i}`,
        severity: ['Critical', 'High', 'Medium', 'Low'][i % 4],
        description: randomBytes(120).toString('base64'),
        fix: { versions: [`1.${i % 50}.${i % 7}`], state: 'fixed' },
      },
      artifact: { name: `pkg-${i}`, version: `1.${i % 100}.0`, type: 'deb', purl: `pkg:deb/debian/pkg-${i}@1.${i % 100}.0` },
    };
    size += JSON.stringify(m).length + 1;
    matches.push(m);
    i++;
  }
  return {
    metadata: { withRelevancy: false, tool: { name: 'grype', version: '0.74.0', databaseVersion: 'bench' } },
    payload: { matches },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Track peak heap (heapUsed + external + arrayBuffers) and RSS while `fn` runs. */
async function peak<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; heapExtra: number; rssExtra: number; rssPeak: number }> {
  gc();
  const m0 = process.memoryUsage();
  const heap0 = m0.heapUsed + m0.external;
  let heapMax = heap0;
  let rssMax = m0.rss;
  const sample = (): void => {
    const m = process.memoryUsage();
    heapMax = Math.max(heapMax, m.heapUsed + m.external);
    rssMax = Math.max(rssMax, m.rss);
  };
  const timer = setInterval(sample, 2);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    sample();
    return { value, ms, heapExtra: heapMax - heap0, rssExtra: rssMax - m0.rss, rssPeak: rssMax };
  } finally {
    clearInterval(timer);
  }
}

/**
 * HTTP GET by a separate client process (curl, output to /dev/null), as kubectl would be: the
 * client's receive buffers must not be counted as the server's memory.
 */
function httpGet(url: string, accept: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-H', `Accept: ${accept}`, '-w', '%{http_code} %{size_download}', url], (err, out) => {
      if (err) return reject(err);
      const [status, bytes] = out.trim().split(' ').map(Number);
      resolve({ status: status ?? 0, bytes: bytes ?? 0 });
    });
  });
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  const dbName = `kscape_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(BASE_URL);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const raw = new pg.Client({ connectionString: dbUrl });
  const out: Record<string, unknown> = { objects: N, specBytes: SPEC_BYTES, sbomBytes: SBOM_BYTES, runs: RUNS };
  let server: Awaited<ReturnType<typeof startStorageServer>> | undefined;
  let database: Database | undefined;
  try {
    // A small pool, so that after a warm-up every connection has already grown pg-protocol's
    // receive buffer to the SBOM's size: "cold" and "warm" GETs are then reported separately.
    database = await openDatabase({ url: dbUrl, config: { KSCAPE_DB_POOL_MAX: 2 }, applicationName: 'kscape-bench' });
    server = await startStorageServer({
      insecureLocal: true,
      port: 0,
      database,
      shutdownTimeoutMs: 1000,
      // Measure the metadata-only path as designed: no computing of printer-column summaries from
      // bodies when the store returns none (the engine's fallback for such stores).
      engine: { requestTimeoutMs: 600_000, summaryFallback: false },
      store: { KSCAPE_STORAGE_EVENT_RETENTION: 60_000 },
    });
    await raw.connect();
    const defs = kubescapeResources();
    const vmDef = defs.find((d) => d.kind === 'VulnerabilityManifest')!;
    const spec = vmSpec(SPEC_BYTES);
    const body = JSON.stringify({ spec });
    // Bulk load with SQL straight into the store's table: what is measured is the read path, and
    // pushing 10 GB through the write path (event log, NOTIFY) would take most of an hour here.
    // Rows are exactly what the store writes (same columns, metadata JSON, body text), rv 1..N;
    // the rv counters are advanced past them so the server's later writes continue from N.
    // lz4 TOAST compression (session setting) and an unlogged table only make the load faster;
    // metadata-only reads never open the TOAST table either way.
    process.stdout.write(`loading ${N} VulnerabilityManifests of ${(body.length / MB).toFixed(2)} MiB into ${dbName} ...\n`);
    const tLoad = performance.now();
    await raw.query(`SET default_toast_compression = 'lz4'`).catch(() => undefined);
    await raw.query('ALTER TABLE storage_objects SET UNLOGGED');
    const CHUNK = 250;
    for (let from = 1; from <= N; from += CHUNK) {
      const to = Math.min(N, from + CHUNK - 1);
      await raw.query(
        `INSERT INTO storage_objects (resource, namespace, name, uid, resource_version, labels, metadata, body)
         SELECT $2, $3, s.name, s.uid, s.i, s.labels,
                jsonb_build_object('name', s.name, 'namespace', $3::text, 'uid', s.uid,
                  'creationTimestamp', to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                  'generation', 1, 'labels', s.labels,
                  'annotations', jsonb_build_object('kubescape.io/image-id',
                     'docker.io/library/img-' || s.i || '@sha256:' || md5(s.i::text) || md5((s.i + 7)::text))),
                $1
           FROM (SELECT i, 'vm-' || lpad(i::text, 5, '0') AS name, gen_random_uuid()::text AS uid,
                        jsonb_build_object('kubescape.io/context', 'non-filtered', 'bench/i', (i % 10)::text) AS labels
                   FROM generate_series($4::int, $5::int) AS i) s`,
        [body, resourceKey(vmDef), NS, from, to],
      );
      if (to % 1000 === 0 || to === N) process.stdout.write(`  ${to}\n`);
    }
    await raw.query(`UPDATE storage_state SET value = $1 WHERE key IN ('rv', 'compacted_rv')`, [N]);
    out.loadSeconds = (performance.now() - tLoad) / 1000;
    await raw.query('VACUUM ANALYZE storage_objects');
    const size = await raw.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('storage_objects')) AS s`);
    out.tableSize = size.rows[0]!.s;

    const listPath = `${server.url}/apis/${GROUP}/v1beta1/namespaces/${NS}/vulnerabilitymanifests`;
    const cases: Record<string, () => Promise<{ bytes: number }>> = {
      'baseline: SELECT metadata columns + JSON.stringify': async () => {
        const r = await raw.query(
          `SELECT namespace, name, uid, resource_version, metadata FROM storage_objects WHERE resource = $1 AND namespace = $2 ORDER BY name`,
          [resourceKey(vmDef), NS],
        );
        const text = JSON.stringify({ items: r.rows });
        return { bytes: text.length };
      },
      // The store alone (its snapshot query and row decoding), to split the HTTP cost into store + engine.
      'store.list metadata-only + JSON.stringify (no HTTP)': async () => {
        const r = await server!.store.list({ resource: resourceKey(vmDef), namespace: NS, withBody: false });
        const text = JSON.stringify({ items: r.items });
        return { bytes: text.length };
      },
      'HTTP Table LIST': async () => httpGet(listPath, 'application/json;as=Table;v=v1;g=meta.k8s.io'),
      'HTTP PartialObjectMetadataList': async () => httpGet(listPath, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'),
    };
    const rows: { case: string; ms: number; ratio?: number; bytes: number; rssPeakMiB: number; heapExtraMiB: number }[] = [];
    let baseMs = 0;
    for (const [name, fn] of Object.entries(cases)) {
      await fn(); // warm-up (caches, JIT)
      const runs: Awaited<ReturnType<typeof peak<{ bytes: number }>>>[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await peak(fn));
      const ms = median(runs.map((r) => r.ms));
      if (name.startsWith('baseline')) baseMs = ms;
      rows.push({
        case: name,
        ms: Math.round(ms),
        ...(baseMs && !name.startsWith('baseline') ? { ratio: Number((ms / baseMs).toFixed(2)) } : {}),
        bytes: runs[0]!.value.bytes,
        rssPeakMiB: Math.round(Math.max(...runs.map((r) => r.rssPeak)) / MB),
        heapExtraMiB: Math.round(Math.max(...runs.map((r) => r.heapExtra)) / MB),
      });
    }
    out.lists = rows;

    // 20 MB SBOM: created over HTTP, read back over HTTP.
    const sbomDef = defs.find((d) => d.kind === 'SBOMSPDXv2p3')!;
    const pkgs: unknown[] = [];
    let sz = 0;
    for (let i = 0; sz < SBOM_BYTES; i++) {
      const p = { name: `pkg-${i}`, SPDXID: `SPDXRef-Package-${i}`, versionInfo: `1.${i % 100}.${i % 7}`, downloadLocation: 'NOASSERTION', description: randomBytes(90).toString('base64') };
      sz += JSON.stringify(p).length + 1;
      pkgs.push(p);
    }
    const sbom = {
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'SBOMSPDXv2p3',
      metadata: { name: 'big-sbom', namespace: NS },
      spec: { metadata: { tool: { name: 'syft', version: '1.0.0' }, report: { createdAt: '2026-01-01T00:00:00Z' } }, spdx: { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'big', packages: pkgs } },
    };
    const sbomText = JSON.stringify(sbom);
    pkgs.length = 0;
    const created = await fetch(`${server.url}/apis/${GROUP}/v1beta1/namespaces/${NS}/${sbomDef.plural}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sbomText,
    });
    if (created.status !== 201) throw new Error(`SBOM create: ${created.status} ${(await created.text()).slice(0, 300)}`);
    await created.arrayBuffer();
    const objBytes = Buffer.byteLength(sbomText);
    const getUrl = `${server.url}/apis/${GROUP}/v1beta1/namespaces/${NS}/${sbomDef.plural}/big-sbom`;
    // Cold: the first GET on each pool connection (the driver grows its receive buffer to the
    // row's size and keeps it); warm: later GETs, i.e. what the engine itself adds.
    const cold = [];
    for (let i = 0; i < 2; i++) cold.push(await peak(() => httpGet(getUrl, 'application/json')));
    const gets = [];
    for (let i = 0; i < RUNS; i++) gets.push(await peak(() => httpGet(getUrl, 'application/json')));
    const sel = [];
    for (let i = 0; i < RUNS + 1; i++)
      sel.push(await peak(async () => {
        const r = await raw.query<{ body: string }>(`SELECT body FROM storage_objects WHERE resource = $1 AND namespace = $2 AND name = $3`, [resourceKey(sbomDef), NS, 'big-sbom']);
        return { bytes: r.rows[0]!.body.length };
      }));
    const mib = (n: number): number => Number((n / MB).toFixed(1));
    const copies = (n: number): number => Number((n / objBytes).toFixed(2));
    const get = {
      objectMiB: mib(objBytes),
      responseBytes: gets[0]!.value.bytes,
      getMs: Math.round(median(gets.map((g) => g.ms))),
      coldGetHeapCopies: copies(Math.max(...cold.map((g) => g.heapExtra))),
      warmGetHeapExtraMiB: mib(median(gets.map((g) => g.heapExtra))),
      warmGetHeapCopies: copies(median(gets.map((g) => g.heapExtra))),
      warmGetRssExtraMiB: mib(median(gets.map((g) => g.rssExtra))),
      rawSelectColdHeapCopies: copies(sel[0]!.heapExtra),
      rawSelectWarmHeapCopies: copies(median(sel.slice(1).map((g) => g.heapExtra))),
      rawSelectMs: Math.round(median(sel.map((g) => g.ms))),
    };
    out.sbomGet = get;

    process.stdout.write('\n');
    console.table(rows);
    console.table([get]);
    const table = rows.find((r) => r.case === 'HTTP Table LIST')!;
    const poml = rows.find((r) => r.case === 'HTTP PartialObjectMetadataList')!;
    out.summary = {
      tableListRatio: table.ratio,
      pomListRatio: poml.ratio,
      listTarget: '<= 2x raw SELECT of metadata + JSON',
      sbomGetHeapCopiesWarm: get.warmGetHeapCopies,
      sbomGetHeapCopiesCold: get.coldGetHeapCopies,
      rawSelectHeapCopiesCold: get.rawSelectColdHeapCopies,
      sbomTarget: '<= 2 copies',
      rssPeakMiB: Math.max(...rows.map((r) => r.rssPeakMiB)),
    };
    process.stdout.write(`\nsummary: ${JSON.stringify(out.summary)}\n`);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'storage-api.json'), JSON.stringify({ date: new Date().toISOString(), ...out }, null, 2) + '\n');
  } finally {
    await raw.end().catch(() => undefined);
    await server?.close();
    await database?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
