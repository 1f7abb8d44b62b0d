/**
 * Posture-scan benchmark: a synthetic cluster of 10,000 workloads plus RBAC, services, network
 * policies and config maps; measures the cost of the engine against the cost of merely parsing
 * the same objects (the raw baseline, measured in the same run).
 *
 *   npm run build && node dist/bench/scan.js [--workloads 10000] [--runs 3]
 *
 * Phases:
 *   1. generate the cluster deterministically (seeded PRNG), serialize to JSON and YAML; parse a
 *      10% YAML sample (the yaml library is ~10× slower than JSON.parse; full-size time is that
 *      sample × 10, labelled as extrapolated);
 *   2. in a fresh child process (so peak RSS belongs to the scan, not to the generator): alternate
 *      JSON.parse of the cluster and a full scan with every implemented control, RUNS times each,
 *      measuring wall and CPU time (process.cpuUsage) of both in the same process: on a loaded
 *      machine only same-process, interleaved CPU-time ratios are meaningful; then one profiled
 *      run (time per control), retained heap after GC with one report alive, and maxRSS;
 *   3. the same child with results streamed (`onResult`: each resource's result handed to a
 *      consumer as soon as it is complete, `report.results` empty), the way a consumer that writes
 *      results out (rather than holding one report) runs the engine;
 *   4. the streamed child again with --max-old-space-size=320, to show the peak RSS the live set
 *      needs when V8 is not allowed to grow the heap lazily (a failure, e.g. out of heap, is
 *      reported, not fatal).
 * Targets: scan ≤ 3× JSON parse, ≤ 5 s, ≤ 400 MiB peak RSS. Writes bench/results/scan.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { CONTROLS, scanResources } from '../functions/scan/index.js';

type Obj = Record<string, unknown>;

const args = process.argv.slice(2);
function arg(name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const WORKLOADS = arg('workloads', 10_000);
const RUNS = arg('runs', 3);
const STREAMED = args.includes('--streamed');
const here = dirname(fileURLToPath(import.meta.url));
// dist/bench/scan.js → repo root is two levels up; bench/scan.ts (tsx) → one level.
const root = here.includes(`${join('dist', 'bench')}`) ? resolve(here, '..', '..') : resolve(here, '..');
const outDir = join(root, 'bench', 'results');
const jsonPath = join(outDir, 'scan-cluster.json');

/** mulberry32: tiny deterministic PRNG so every run scans the same cluster. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(workloads: number): Obj[] {
  const rnd = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const chance = (p: number) => rnd() < p;
  const namespaces = Math.max(1, Math.round(workloads / 100));
  const out: Obj[] = [];
  const images = [
    'nginx:1.25',
    'nginx',
    'redis:7',
    'registry.example.com/team/api:2.3.1',
    'quay.io/prometheus/node-exporter:v1.8.0',
    'ghcr.io/org/worker@sha256:' + 'a'.repeat(64),
    'registry.k8s.io/ingress-nginx/controller:v1.9.0',
    'k8s.gcr.io/pause:3.2',
  ];

  for (let n = 0; n < namespaces; n++) {
    const ns = `team-${n}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: chance(0.3)
          ? { 'pod-security.kubernetes.io/enforce': pick(['baseline', 'restricted', 'privileged']) }
          : {},
      },
    });
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
    if (chance(0.5)) {
      out.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      });
    }
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: ns },
      data: {
        LOG_LEVEL: 'info',
        DB_PASSWORD: chance(0.2) ? 'hunter2' : '',
        'app.yaml': 'port: 8080\nfeatures: [a, b]\n',
      },
    });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'deployer', namespace: ns },
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'update', 'patch'] },
        { apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: pick([['get'], ['create'], ['*']]) },
      ],
    });
  }

  const clusterRoles = ['view', 'edit', 'admin', 'cluster-admin', 'secret-reader', 'pod-creator'];
  out.push(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin' },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'admin' },
      rules: [
        {
          apiGroups: ['', 'apps', 'batch'],
          resources: ['pods', 'deployments', 'secrets', 'services', 'jobs'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'edit' },
      rules: [
        {
          apiGroups: ['', 'apps'],
          resources: ['pods', 'deployments', 'configmaps'],
          verbs: ['get', 'list', 'create', 'update', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'view' },
      rules: [
        {
          apiGroups: ['', 'apps'],
          resources: ['pods', 'deployments', 'configmaps'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'pod-creator' },
      rules: [{ apiGroups: [''], resources: ['pods', 'pods/portforward'], verbs: ['create'] }],
    },
  );
  for (let i = 0; i < 50; i++) {
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `crb-${i}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: pick(clusterRoles) },
      subjects: [
        {
          kind: pick(['User', 'Group']),
          name: `${pick(['alice', 'bob', 'ops', 'dev', 'ci', 'system:authenticated'])}-${i % 7}`,
          apiGroup: 'rbac.authorization.k8s.io',
        },
      ],
    });
  }

  const kinds = [
    'Deployment',
    'Deployment',
    'Deployment',
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    'Job',
    'CronJob',
    'Pod',
    'Pod',
  ];
  for (let w = 0; w < workloads; w++) {
    const ns = `team-${w % namespaces}`;
    const name = `app-${w}`;
    const sa = `sa-${Math.floor(w / 10)}`;
    if (w % 10 === 0) {
      out.push({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: sa, namespace: ns },
        ...(chance(0.5) ? { automountServiceAccountToken: false } : {}),
      });
      out.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `rb-${sa}`, namespace: ns },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: chance(0.5) ? 'Role' : 'ClusterRole',
          name: chance(0.5) ? 'deployer' : pick(clusterRoles),
        },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      });
    }
    const containers: Obj[] = [];
    const count = 1 + Math.floor(rnd() * 3);
    for (let c = 0; c < count; c++) {
      const hardened = chance(0.4);
      containers.push({
        name: `c${c}`,
        image: pick(images),
        ...(chance(0.5) ? { imagePullPolicy: pick(['Always', 'IfNotPresent']) } : {}),
        ports: [{ containerPort: 8080, ...(chance(0.05) ? { hostPort: 8080 } : {}) }],
        env: [
          { name: 'PORT', value: '8080' },
          ...(chance(0.1) ? [{ name: 'API_TOKEN', value: 'abc123' }] : []),
          ...(chance(0.2)
            ? [{ name: 'DB_PASS', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }]
            : []),
        ],
        resources: chance(0.7)
          ? {
              requests: { cpu: '100m', memory: '128Mi' },
              ...(chance(0.6) ? { limits: { cpu: '500m', memory: '512Mi' } } : {}),
            }
          : {},
        ...(chance(0.6) ? { readinessProbe: { httpGet: { path: '/ready', port: 8080 } } } : {}),
        ...(chance(0.6) ? { livenessProbe: { httpGet: { path: '/live', port: 8080 } } } : {}),
        securityContext: hardened
          ? {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            }
          : {
              ...(chance(0.05) ? { privileged: true } : {}),
              ...(chance(0.1) ? { capabilities: { add: [pick(['NET_ADMIN', 'SYS_ADMIN', 'CHOWN'])] } } : {}),
            },
        volumeMounts: [
          { name: 'config', mountPath: '/etc/app' },
          ...(chance(0.05) ? [{ name: 'host', mountPath: '/host' }] : []),
        ],
      });
    }
    const podSpec: Obj = {
      serviceAccountName: sa,
      ...(chance(0.3) ? { automountServiceAccountToken: false } : {}),
      ...(chance(0.02) ? { hostNetwork: true } : {}),
      ...(chance(0.01) ? { hostPID: true } : {}),
      ...(chance(0.3)
        ? { securityContext: { fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } } }
        : {}),
      containers,
      volumes: [
        { name: 'config', configMap: { name: 'app-config' } },
        { name: 'host', hostPath: { path: pick(['/var/log', '/var/run/docker.sock', '/etc']) } },
      ],
    };
    const labels = { app: name, ...(chance(0.5) ? { 'app.kubernetes.io/name': name, tier: 'backend' } : {}) };
    const kind = pick(kinds);
    const metadata = { name, namespace: ns, labels };
    const template = { metadata: { labels }, spec: podSpec };
    switch (kind) {
      case 'Pod':
        out.push({ apiVersion: 'v1', kind, metadata, spec: podSpec });
        break;
      case 'CronJob':
        out.push({
          apiVersion: 'batch/v1',
          kind,
          metadata,
          spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } },
        });
        break;
      case 'Job':
        out.push({ apiVersion: 'batch/v1', kind, metadata, spec: { template } });
        break;
      case 'DaemonSet':
        out.push({
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: { selector: { matchLabels: { app: name } }, template },
          status: { desiredNumberScheduled: 5 },
        });
        break;
      default:
        out.push({
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: { replicas: 1 + Math.floor(rnd() * 4), selector: { matchLabels: { app: name } }, template },
        });
    }
    if (w % 5 === 0) {
      out.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns },
        spec: {
          type: pick(['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer']),
          selector: { app: name },
          ports: [{ port: 80, targetPort: 8080 }],
        },
      });
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time<T>(fn: () => T): [T, number] {
  // Wall time only (generation); measured phases use measure() for wall and CPU.
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

interface ChildResult {
  parseWallMs: number[];
  parseCpuMs: number[];
  scanWallMs: number[];
  scanCpuMs: number[];
  maxRssMiB: number;
  retainedHeapMiB: number;
  objectsHeapMiB: number;
  results: number;
  controls: number;
  timings: Record<string, number>;
  complianceScore: number;
}

function measure<T>(fn: () => T): [T, number, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [r, wall, (c.user + c.system) / 1000];
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Child phase, see the header. */
function child(): void {
  const text = readFileSync(jsonPath, 'utf8');
  const out: ChildResult = {
    parseWallMs: [],
    parseCpuMs: [],
    scanWallMs: [],
    scanCpuMs: [],
    maxRssMiB: 0,
    retainedHeapMiB: 0,
    objectsHeapMiB: 0,
    results: 0,
    controls: 0,
    timings: {},
    complianceScore: 0,
  };
  gc();
  const h0 = process.memoryUsage().heapUsed;
  let objects: unknown[] = [];
  for (let i = 0; i < RUNS; i++) {
    objects = [];
    gc();
    const [parsed, pw, pc] = measure(() => JSON.parse(text) as unknown[]);
    objects = parsed;
    out.parseWallMs.push(pw);
    out.parseCpuMs.push(pc);
    // Keep only numbers from each report so at most one report is alive at a time.
    let streamed = 0;
    const [r, sw, sc] = measure(() =>
      STREAMED ? scanResources(objects, { onResult: () => void streamed++ }) : scanResources(objects),
    );
    out.scanWallMs.push(sw);
    out.scanCpuMs.push(sc);
    out.results = r.results.length + streamed;
    out.controls = Object.keys(r.summaryDetails.controls).length;
    out.complianceScore = r.summaryDetails.complianceScore;
  }
  gc();
  const h1 = process.memoryUsage().heapUsed;
  out.objectsHeapMiB = (h1 - h0) / 1048576;
  const profiled = scanResources(objects, {
    profile: true,
    ...(STREAMED ? { onResult: () => undefined } : {}),
  });
  gc();
  out.retainedHeapMiB = (process.memoryUsage().heapUsed - h1) / 1048576;
  out.timings = profiled.timings ?? {};
  out.maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out));
}

function runChild(extra: string[]): ChildResult;
function runChild(extra: string[], tolerateFailure: true): ChildResult | string;
function runChild(extra: string[], tolerateFailure = false): ChildResult | string {
  const proc = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      ...extra.filter((a) => a !== '--streamed'),
      fileURLToPath(import.meta.url),
      '--child',
      '--runs',
      String(RUNS),
      ...extra.filter((a) => a === '--streamed'),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (proc.status !== 0) {
    if (tolerateFailure)
      return /out of memory/i.test(proc.stderr) ? 'out of heap' : `failed (${proc.status ?? proc.signal})`;
    process.stderr.write(proc.stderr);
    process.exit(1);
  }
  return JSON.parse(proc.stdout) as ChildResult;
}

function main(): void {
  mkdirSync(outDir, { recursive: true });
  const [objects, genMs] = time(() => generate(WORKLOADS));
  const json = JSON.stringify(objects);
  const sample = objects.filter((_, i) => i % 10 === 0);
  const yamlSample = sample.map((o) => stringify(o)).join('---\n');
  writeFileSync(jsonPath, json);
  const [, yamlSampleWall, yamlSampleCpu] = measure(() =>
    parseAllDocuments(yamlSample).map((d) => d.toJS() as unknown),
  );

  const c = runChild([]);
  const st = runChild(['--streamed']);
  const capped = runChild(['--max-old-space-size=320', '--streamed'], true);
  const ratioCpu = median(c.scanCpuMs) / median(c.parseCpuMs);
  const ratioWall = median(c.scanWallMs) / median(c.parseWallMs);
  const ratioStreamedCpu = median(st.scanCpuMs) / median(st.parseCpuMs);
  const perControl = Object.entries(c.timings).sort((a, b) => b[1] - a[1]);
  const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms  [${xs.map((x) => x.toFixed(0)).join(', ')}]`;

  const rows: [string, string][] = [
    ['objects', `${objects.length} (${WORKLOADS} workloads + RBAC, services, netpols, configmaps)`],
    [
      'JSON size / YAML sample',
      `${(json.length / 1048576).toFixed(1)} MiB / ${(yamlSample.length / 1048576).toFixed(1)} MiB (10%)`,
    ],
    ['generate', `${genMs.toFixed(0)} ms`],
    [
      'parse YAML, 10% sample',
      `${yamlSampleWall.toFixed(0)} ms wall, ${yamlSampleCpu.toFixed(0)} ms CPU (×10 ≈ ${(yamlSampleCpu * 10).toFixed(0)} ms CPU full)`,
    ],
    ['parse JSON wall (median)', fmt(c.parseWallMs)],
    ['parse JSON CPU (median)', fmt(c.parseCpuMs)],
    ['scan wall (median)', fmt(c.scanWallMs)],
    ['scan CPU (median)', fmt(c.scanCpuMs)],
    ['controls / results', `${c.controls} controls, ${c.results} resources`],
    ['RATIO scan / JSON parse (CPU, held report)', `${ratioCpu.toFixed(2)}×  (target ≤ 3×)`],
    ['RATIO scan / JSON parse (wall, held report)', `${ratioWall.toFixed(2)}×`],
    ['streamed: parse / scan CPU (median)', `${fmt(st.parseCpuMs)} / ${fmt(st.scanCpuMs)}`],
    ['RATIO scan / JSON parse (CPU, streamed)', `${ratioStreamedCpu.toFixed(2)}×  (target ≤ 3×)`],
    ['peak RSS, streamed results', `${st.maxRssMiB.toFixed(0)} MiB  (target ≤ 400 MiB)`],
    ['scan / YAML parse (CPU, extrapolated)', `${(median(c.scanCpuMs) / (yamlSampleCpu * 10)).toFixed(2)}×`],
    [
      'heap: parsed objects / one report',
      `${c.objectsHeapMiB.toFixed(0)} MiB / ${c.retainedHeapMiB.toFixed(0)} MiB (after GC)`,
    ],
    ['peak RSS, default heap', `${c.maxRssMiB.toFixed(0)} MiB  (target ≤ 400 MiB)`],
    [
      'peak RSS, streamed, --max-old-space-size=320',
      typeof capped === 'string'
        ? capped
        : `${capped.maxRssMiB.toFixed(0)} MiB; scan CPU ${median(capped.scanCpuMs).toFixed(0)} ms`,
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `\nkscape posture scan benchmark (node ${process.version}, load average ${loadAverage().toFixed(1)})`,
  );
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  console.log('\n  slowest controls (profiled run, ms):');
  for (const [id, ms] of perControl.slice(0, 10)) console.log(`    ${id}  ${ms.toFixed(1)}`);

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    loadAverage: loadAverage(),
    workloads: WORKLOADS,
    objects: objects.length,
    implementedControls: CONTROLS.length,
    jsonBytes: json.length,
    yamlSample: { bytes: yamlSample.length, wallMs: yamlSampleWall, cpuMs: yamlSampleCpu, fraction: 0.1 },
    parseJson: { wallMs: c.parseWallMs, cpuMs: c.parseCpuMs },
    scan: { wallMs: c.scanWallMs, cpuMs: c.scanCpuMs },
    ratioScanToJsonParseCpu: ratioCpu,
    ratioScanToJsonParseWall: ratioWall,
    streamed: {
      parseJson: { wallMs: st.parseWallMs, cpuMs: st.parseCpuMs },
      scan: { wallMs: st.scanWallMs, cpuMs: st.scanCpuMs },
      ratioScanToJsonParseCpu: ratioStreamedCpu,
      peakRssMiB: st.maxRssMiB,
      timePerControlMs: st.timings,
    },
    heap: { objectsMiB: c.objectsHeapMiB, reportMiB: c.retainedHeapMiB },
    peakRssMiB: c.maxRssMiB,
    capped:
      typeof capped === 'string'
        ? { maxOldSpaceMiB: 320, streamed: true, error: capped }
        : {
            maxOldSpaceMiB: 320,
            streamed: true,
            peakRssMiB: capped.maxRssMiB,
            scanCpuMs: capped.scanCpuMs,
            scanWallMs: capped.scanWallMs,
          },
    results: c.results,
    timePerControlMs: Object.fromEntries(perControl),
    targets: { ratio: 3, wallMs: 5000, rssMiB: 400 },
    meets: {
      ratio: ratioCpu <= 3,
      ratioStreamed: ratioStreamedCpu <= 3,
      wall: median(c.scanWallMs) <= 5000,
      rss: c.maxRssMiB <= 400,
      rssStreamed: st.maxRssMiB <= 400,
      rssCapped: typeof capped !== 'string' && capped.maxRssMiB <= 400,
    },
  };
  writeFileSync(join(outDir, 'scan.json'), JSON.stringify(result, null, 2));
  console.log(`\n  wrote ${join(outDir, 'scan.json')}`);
}

function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

if (args.includes('--child')) child();
else main();
