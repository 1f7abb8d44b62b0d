/**
 * storage-api Store benchmark, against raw `pg` baselines measured in the same run.
 *
 *   npm run build && node dist/bench/storage-store.js
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; the benchmark
 * creates a fresh database `kscape_bench_<random>` on it and drops it at the end.
 *
 * (a) create throughput: 10 concurrent clients, 4 KB objects, Store.create vs single-row INSERTs
 *     of the same rows into an equivalent plain table from a 10-connection pool. Target ratio >= 0.40.
 * (b) metadata-only list of 10,000 objects with 1 MB bodies vs a raw SELECT of the metadata columns
 *     + JSON.stringify. Target <= 2x. Peak RSS during the list for 1 KB vs 1 MB bodies shows that
 *     memory does not follow body size (bodies are never read).
 * (c) watch fan-out: 1,000 watchers on one Store, 200 writes/s for 10 s through ANOTHER Store
 *     (a second "replica": delivery goes through NOTIFY); latency from the start of the write
 *     request to delivery. Target p99 < 100 ms.
 *
 * Results: bench/results/storage-store.json and a table on stdout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createLogger, setRootLogger } from '../lib/log/index.js';
import { openDatabase, type Database } from '../lib/db/index.js';
import { createPostgresStore, type ObjectMeta, type PostgresStore } from '../storage-api/store/index.js';

process.env.LOG_LEVEL ??= 'warn';
setRootLogger(createLogger());

const BASE = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = new Set((onlyArg ? onlyArg.slice(7) : 'a,b,c').split(','));

const A_CLIENTS = 10;
const A_OPS = quick ? 2_000 : 6_000;
const B_OBJECTS = quick ? 2_000 : 10_000;
const C_WATCHERS = 1_000;
const C_RATE = 200;
const C_SECONDS = quick ? 3 : 10;

function meta(ns: string, name: string, uid: string, extra: Record<string, string> = {}): ObjectMeta {
  return {
    name,
    namespace: ns,
    uid,
    creationTimestamp: new Date().toISOString(),
    labels: {
      'kubescape.io/workload-kind': 'Deployment',
      'kubescape.io/workload-name': name.slice(0, 40),
      'kubescape.io/workload-namespace': ns,
      'kubescape.io/image-id': 'sha256-' + uid.replace(/-/g, '').slice(0, 24),
    },
    annotations: { 'kubescape.io/status': 'ready', 'kubescape.io/image-tag': 'nginx:1.25', ...extra },
  };
}

function bodyOf(bytes: number): string {
  // Realistic-ish JSON text of the requested size.
  const chunk = JSON.stringify({ name: 'pkg', version: '1.2.3', purl: 'pkg:deb/debian/libc6@2.36', license: 'GPL' }) + ',';
  return '{"spec":{"packages":[' + chunk.repeat(Math.max(1, Math.floor(bytes / chunk.length))).slice(0, -1) + ']}}';
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);
const r2 = (x: number) => Math.round(x * 100) / 100;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: BASE });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function runConcurrent(clients: number, ops: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < ops; i = next++) await fn(i);
    }),
  );
  return ops / ((performance.now() - t0) / 1000);
}

async function benchCreate(url: string, store: PostgresStore) {
  const body = bodyOf(4096);
  const pool = new pg.Pool({ connectionString: url, max: A_CLIENTS });
  await pool.query(`CREATE TABLE bench_raw (
    resource text NOT NULL, namespace text NOT NULL, name text NOT NULL, uid text NOT NULL,
    resource_version bigint NOT NULL, labels jsonb NOT NULL, metadata jsonb NOT NULL, body text NOT NULL,
    PRIMARY KEY (resource, namespace, name))`);
  const mk = (prefix: string, i: number) => {
    const uid = randomUUID();
    const name = `${prefix}-${i}`;
    const m = meta('bench', name, uid);
    return { name, uid, m };
  };
  // Warm both paths (connections, plans, caches).
  await runConcurrent(A_CLIENTS, 200, async (i) => {
    const o = mk('warm', i);
    await store.create({ resource: 'bench/warm', namespace: 'bench', name: o.name, uid: o.uid, metadata: o.m, body });
    await pool.query(
      'INSERT INTO bench_raw (resource, namespace, name, uid, resource_version, labels, metadata, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
      ['bench/warm', 'bench', o.name, o.uid, i, JSON.stringify(o.m.labels), JSON.stringify(o.m), body],
    );
  });
  const batchesBefore = store.stats.batches;
  const writesBefore = store.stats.batchedWrites;
  const storeRate = await runConcurrent(A_CLIENTS, A_OPS, async (i) => {
    const o = mk('obj', i);
    await store.create({ resource: 'bench/a', namespace: 'bench', name: o.name, uid: o.uid, metadata: o.m, body });
  });
  const avgBatch = (store.stats.batchedWrites - writesBefore) / Math.max(1, store.stats.batches - batchesBefore);
  const rawRate = await runConcurrent(A_CLIENTS, A_OPS, async (i) => {
    const o = mk('obj', i);
    await pool.query(
      'INSERT INTO bench_raw (resource, namespace, name, uid, resource_version, labels, metadata, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
      ['bench/a', 'bench', o.name, o.uid, i, JSON.stringify(o.m.labels), JSON.stringify(o.m), body],
    );
  });
  await pool.end();
  return { storeOpsPerSec: Math.round(storeRate), rawOpsPerSec: Math.round(rawRate), ratio: r2(storeRate / rawRate), avgBatchSize: r2(avgBatch), target: '>= 0.40' };
}

/** Seed N objects server-side (the list path, not the write path, is under test here). */
async function seed(db: Database, resource: string, n: number, bodyBytes: number): Promise<void> {
  const unit = bodyOf(Math.min(bodyBytes, 4096));
  const reps = Math.max(1, Math.round(bodyBytes / unit.length));
  for (let start = 0; start < n; start += 500) {
    await db.query(
      `INSERT INTO storage_objects (resource, namespace, name, uid, resource_version, labels, metadata, body)
       SELECT $1, 'ns-' || (i % 20), 'obj-' || i, md5(i::text || $1), 1,
              jsonb_build_object('kubescape.io/workload-name', 'w' || i, 'kubescape.io/workload-kind', 'Deployment'),
              jsonb_build_object('name', 'obj-' || i, 'namespace', 'ns-' || (i % 20), 'uid', md5(i::text || $1),
                'creationTimestamp', '2026-11-26T00:00:00Z',
                'labels', jsonb_build_object('kubescape.io/workload-name', 'w' || i, 'kubescape.io/workload-kind', 'Deployment'),
                'annotations', jsonb_build_object('kubescape.io/status', 'ready', 'kubescape.io/image-tag', 'nginx:1.25')),
              -- Make every body distinct so TOAST cannot share anything between rows.
              repeat($2, $3) || i::text
         FROM generate_series($4::int, $5::int) AS i`,
      [resource, unit, reps, start, Math.min(n, start + 500) - 1],
    );
  }
  await db.query('ANALYZE storage_objects');
}

async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakRssMb: number; baseRssMb: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakRssMb: r2(peak / 1e6), baseRssMb: r2(base / 1e6) };
  } finally {
    clearInterval(timer);
  }
}

async function benchList(url: string, db: Database, store: PostgresStore) {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const out: Record<string, unknown> = {};
  for (const [label, bytes] of [
    ['1KB', 1024],
    ['1MB', 1024 * 1024],
  ] as const) {
    const resource = `bench/list-${label}`;
    const t0 = performance.now();
    await seed(db, resource, B_OBJECTS, bytes);
    const seedSeconds = (performance.now() - t0) / 1000;
    const sizes = await db.query<{ total: string }>(`SELECT pg_size_pretty(pg_total_relation_size('storage_objects')) AS total`);
    const storeTimes: number[] = [];
    const rawTimes: number[] = [];
    let storePeak = 0;
    let rawPeak = 0;
    let storeBytes = 0;
    let rawBytes = 0;
    for (let rep = 0; rep < 5; rep++) {
      const s = await peakRss(async () => {
        const t = performance.now();
        const l = await store.list({ resource, withBody: false });
        const json = JSON.stringify(l.items);
        if (l.items.length !== B_OBJECTS) throw new Error(`listed ${l.items.length}`);
        storeBytes = json.length;
        return performance.now() - t;
      });
      storeTimes.push(s.result);
      storePeak = Math.max(storePeak, s.peakRssMb - s.baseRssMb);
      const r = await peakRss(async () => {
        const t = performance.now();
        const res = await pool.query(
          `SELECT namespace, name, uid, resource_version::text AS rv, metadata FROM storage_objects WHERE resource = $1 ORDER BY namespace, name`,
          [resource],
        );
        const json = JSON.stringify(res.rows);
        rawBytes = json.length;
        return performance.now() - t;
      });
      rawTimes.push(r.result);
      rawPeak = Math.max(rawPeak, r.peakRssMb - r.baseRssMb);
    }
    out[label] = {
      objects: B_OBJECTS,
      bodyBytes: bytes,
      seedSeconds: r2(seedSeconds),
      tableSizeAfterSeed: sizes.rows[0]?.total,
      storeListMs: r2(median(storeTimes)),
      rawSelectMs: r2(median(rawTimes)),
      ratio: r2(median(storeTimes) / median(rawTimes)),
      storeResponseBytes: storeBytes,
      rawResponseBytes: rawBytes,
      storePeakRssGrowthMb: r2(storePeak),
      rawPeakRssGrowthMb: r2(rawPeak),
      processRssMb: r2(process.memoryUsage().rss / 1e6),
    };
  }
  await pool.end();
  return { ...out, target: 'ratio <= 2; RSS growth independent of body size' };
}

async function benchWatch(url: string, watchStore: PostgresStore, writeStore: PostgresStore) {
  const resource = 'bench/watch';
  const latencies: number[] = [];
  const handles = Array.from({ length: C_WATCHERS }, (_, i) =>
    watchStore.watch({
      resource,
      withBody: false,
      // A tenth of the watchers use a label selector, as kube informers often do.
      ...(i % 10 === 0 ? { labels: [{ key: 'kubescape.io/workload-kind', op: 'eq' as const, value: 'Deployment' }] } : {}),
    }),
  );
  let delivered = 0;
  let watchErrors = 0;
  const consumers = handles.map(async (h) => {
    try {
      for await (const e of h) {
        const t0 = Number((e.object.metadata.annotations as Record<string, string>)['bench/t0']);
        latencies.push(performance.now() - t0);
        delivered++;
      }
    } catch (e) {
      watchErrors++;
      if (watchErrors === 1) console.error('watch failed:', e);
    }
  });
  // Let every watcher resolve its start position before writing.
  await new Promise((r) => setTimeout(r, 1500));
  const total = C_RATE * C_SECONDS;
  const body = bodyOf(1024);
  let sent = 0;
  const writes: Promise<unknown>[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Keep the average rate exact even when timers fire late.
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * C_RATE));
      while (sent < due) {
        const i = sent++;
        const uid = randomUUID();
        const t0 = performance.now();
        writes.push(
          writeStore.create({
            resource,
            namespace: `ns-${i % 10}`,
            name: `w-${i}`,
            uid,
            metadata: meta(`ns-${i % 10}`, `w-${i}`, uid, { 'bench/t0': String(t0) }),
            body,
          }),
        );
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  await Promise.all(writes);
  const writeSeconds = (performance.now() - start) / 1000;
  const deadline = performance.now() + 30_000;
  while (delivered < total * C_WATCHERS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const h of handles) h.close();
  await Promise.all(consumers.map((c) => c.catch(() => undefined)));
  latencies.sort((a, b) => a - b);
  return {
    watchers: C_WATCHERS,
    writes: total,
    writesPerSec: r2(total / writeSeconds),
    deliveries: delivered,
    expectedDeliveries: total * C_WATCHERS,
    p50Ms: r2(pct(latencies, 50)),
    p90Ms: r2(pct(latencies, 90)),
    p99Ms: r2(pct(latencies, 99)),
    maxMs: r2(latencies[latencies.length - 1] ?? NaN),
    overflows: watchStore.watchStats.overflows,
    watchErrors,
    target: 'p99 < 100 ms',
  };
}

async function main(): Promise<void> {
  const name = `kscape_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(BASE);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dbs: Database[] = [];
  const stores: PostgresStore[] = [];
  try {
    const db = await openDatabase({ url, config: { KSCAPE_DB_POOL_MAX: 10, KSCAPE_DB_STATEMENT_TIMEOUT: 120_000 } });
    dbs.push(db);
    const store = await createPostgresStore(db, { autoCompact: false });
    stores.push(store);
    // Experiments: --drop-gin measures the label index's share of the write cost.
    if (process.argv.includes('--drop-gin')) await db.query('DROP INDEX storage_objects_labels_gin');
    const info = await db.query<{ v: string; fsync: string; sc: string }>(
      `SELECT version() AS v, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc`,
    );
    console.error('(a) create throughput ...');
    const a = only.has('a') ? await benchCreate(url, store) : { storeOpsPerSec: NaN, rawOpsPerSec: NaN, ratio: NaN, avgBatchSize: NaN, target: 'skipped' };
    console.error('(b) metadata-only list ...');
    const b = only.has('b') ? await benchList(url, db, store) : { '1KB': {}, '1MB': {}, target: 'skipped' };
    console.error('(c) watch fan-out ...');
    const db2 = await openDatabase({ url, config: { KSCAPE_DB_POOL_MAX: 10 } });
    dbs.push(db2);
    const writer = await createPostgresStore(db2, { autoCompact: false, migrate: false });
    stores.push(writer);
    const c = only.has('c')
      ? await benchWatch(url, store, writer)
      : { watchers: 0, writes: 0, writesPerSec: NaN, deliveries: 0, expectedDeliveries: 0, p50Ms: NaN, p90Ms: NaN, p99Ms: NaN, maxMs: NaN, overflows: 0, watchErrors: 0, target: 'skipped' };
    const { loadavg, cpus } = await import('node:os');
    const results = {
      when: new Date().toISOString(),
      server: info.rows[0]?.v,
      fsync: info.rows[0]?.fsync,
      synchronousCommit: info.rows[0]?.sc,
      node: process.version,
      cpus: cpus().length,
      loadAverageAtEnd: loadavg().map(r2),
      quick,
      createThroughput: a,
      metadataList: b,
      watchFanOut: c,
    };
    const here = dirname(fileURLToPath(import.meta.url));
    // dist/bench → bench/results at the repo root; bench/ when run from source.
    const root = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
    const outFile = join(root, 'bench', 'results', only.size === 3 ? 'storage-store.json' : `storage-store-${[...only].join('')}.json`);
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
    const bl = b as unknown as Record<string, Record<string, number>>;
    console.table([
      { bench: '(a) create ops/s, 10 clients, 4KB', store: a.storeOpsPerSec, baseline: a.rawOpsPerSec, ratio: a.ratio, target: a.target },
      ...(['1KB', '1MB'] as const).map((k) => ({
        bench: `(b) list ${B_OBJECTS} metadata-only, ${k} bodies (ms)`,
        store: bl[k]!.storeListMs,
        baseline: bl[k]!.rawSelectMs,
        ratio: bl[k]!.ratio,
        target: `<= 2; RSS +${bl[k]!.storePeakRssGrowthMb} MB (raw +${bl[k]!.rawPeakRssGrowthMb} MB)`,
      })),
      { bench: `(c) watch ${C_WATCHERS} watchers @${C_RATE}/s p50 (ms)`, store: c.p50Ms, baseline: '', ratio: '', target: '' },
      { bench: `(c) watch ${C_WATCHERS} watchers @${C_RATE}/s p99 (ms)`, store: c.p99Ms, baseline: '', ratio: '', target: c.target },
    ]);
    console.log(`deliveries ${c.deliveries}/${c.expectedDeliveries}, overflows ${c.overflows}; results in ${outFile}`);
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
    for (const d of dbs) await d.close().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
