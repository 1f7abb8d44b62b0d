/**
 * The node agent: one per node (DaemonSet). Two loops share one process:
 *
 *  - host sensor: collects host facts every HOST_CHECK_INTERVAL and posts
 *    `io.kubescape.host.reported` when they changed (hash compare) or HOST_REPORT_INTERVAL passed;
 *  - relevancy: scans procfs every RELEVANCY_SCAN_INTERVAL, accumulates the files each container
 *    uses over its learning period and posts `io.kubescape.relevancy.reported` per container.
 *
 * Loops never overlap with themselves (a slow scan delays the next one instead of piling up), and
 * a failed collection or delivery is logged, counted and retried on the next tick: the agent only
 * exits on SIGTERM/SIGINT or the caller's signal. `once` runs one collection of each and returns.
 *
 * What this module imports is what every node pays for in memory (node-agent/README.md, Memory):
 * no zod, no HTTP framework, yaml only once a YAML file is read. The public API with the facts
 * schema is index.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { Env } from '../lib/config/env.js';
import { logger, type Logger } from '../lib/log/index.js';
import { HttpSink } from './sink.js';
import { loadNodeAgentConfig, type NodeAgentConfig } from './config.js';
import { AGENT_CAPABILITIES, checkCapabilities, type MissingCapability } from './capabilities.js';
import { collectHostFacts, factsHash } from './host/collect.js';
import type { HostFacts } from './host/facts.js';
import { Metrics } from './metrics.js';
import { ProcFs } from './procfs.js';
import { scanProcfs, type ScanStats } from './relevancy/collector.js';
import {
  inClusterPodLister,
  KubePodLookup,
  kubeconfigPodLister,
  type ContainerIdentity,
  type PodLister,
  type PodLookup,
} from './relevancy/pods.js';
import { RelevancyTracker, type RelevancyReport } from './relevancy/tracker.js';
import { hostEvent, relevancyEvent, send } from './report.js';

export interface NodeAgentOptions {
  /** Collect once and return (no health server, no loops). */
  once?: boolean;
  /** With `once`: print `{host, relevancy}` as JSON to stdout instead of sending. */
  print?: boolean;
  /** Stops the long-running agent (in addition to SIGTERM/SIGINT). */
  signal?: AbortSignal;
  /** Environment to read the configuration from (default process.env). */
  env?: Env;
  /** Container → pod mapping; default: the Kubernetes API, pods on this node. */
  podLookup?: PodLookup;
  /** Where `print` writes (default process.stdout). */
  stdout?: { write(chunk: string): unknown };
  /** Called once the health server listens (tests use port 0). */
  onListening?: (port: number) => void;
  /** Install SIGTERM/SIGINT handlers (default true for the long-running mode). */
  handleSignals?: boolean;
}

export interface RelevancyContainerSnapshot {
  containerId: string;
  identity: ContainerIdentity | undefined;
  pids: number[];
  files: string[];
}

export interface NodeAgentSnapshot {
  nodeName: string;
  collectedAt: string;
  host: HostFacts | null;
  relevancy: { containers: RelevancyContainerSnapshot[]; stats: ScanStats } | null;
}

const M = {
  sent: ['kscape_node_agent_reports_sent_total', 'Reports delivered to K_SINK, by event type.'],
  failed: [
    'kscape_node_agent_report_failures_total',
    'Reports that could not be delivered (retried on the next tick unless rejected as invalid), by event type.',
  ],
  tracked: ['kscape_node_agent_containers_tracked', 'Containers whose files are being learned.'],
  duration: [
    'kscape_node_agent_last_collection_duration_seconds',
    'Duration of the last collection, by collector (host, relevancy).',
  ],
  collections: [
    'kscape_node_agent_collections_total',
    'Collections run, by collector and result (ok, error).',
  ],
  skipped: [
    'kscape_node_agent_processes_skipped_total',
    'Processes skipped during relevancy scans (exited mid-scan or unreadable).',
  ],
  malformed: [
    'kscape_node_agent_malformed_cgroup_lines_total',
    'Malformed /proc/<pid>/cgroup lines skipped.',
  ],
  capMissing: [
    'kscape_node_agent_capability_missing',
    '1 if the agent runs without this Linux capability (what it then skips is logged at start).',
  ],
} as const;

export async function runNodeAgent(options: NodeAgentOptions = {}): Promise<NodeAgentSnapshot | undefined> {
  const cfg = loadNodeAgentConfig(options.env ?? process.env);
  const log = logger('node-agent', { node: cfg.NODE_NAME });
  const lookup = options.podLookup ?? defaultPodLookup(cfg, options.env ?? process.env, log);
  // Before any collection, so the warning precedes the debug lines of the entries it explains.
  const missing = await checkCapabilities(log);
  return options.once
    ? runOnce(cfg, options, lookup, log)
    : runLoop(cfg, options, lookup, log, missing ?? []);
}

function defaultPodLookup(cfg: NodeAgentConfig, env: Env, log: Logger): PodLookup | undefined {
  // Without a cluster (e.g. `kscape node-agent --once --print` on a bare machine) there is nothing
  // to map containers to; client-node would otherwise fall back to http://localhost:8080.
  const home = env.HOME ?? os.homedir();
  const hasKubeconfig = Boolean(env.KUBECONFIG) || fs.existsSync(path.join(home, '.kube', 'config'));
  if (!env.KUBERNETES_SERVICE_HOST && !hasKubeconfig) {
    log.info(
      'no cluster configured (no in-cluster service account, no kubeconfig): containers are not mapped to pods',
    );
    return undefined;
  }
  // In a cluster: plain HTTPS with the service account (client-node would add ~70 MiB of RSS to
  // every node's agent). Out of a cluster: client-node with the kubeconfig, loaded on first use.
  let lister: PodLister;
  if (env.KUBERNETES_SERVICE_HOST) lister = inClusterPodLister(cfg.NODE_NAME, env);
  else {
    let loaded: Promise<PodLister> | undefined;
    lister = async (cont) => (await (loaded ??= kubeconfigPodLister(cfg.NODE_NAME)))(cont);
  }
  return new KubePodLookup(lister, logger('node-agent.pods'), cfg.RELEVANCY_POD_REFRESH_MIN_INTERVAL);
}

async function identify(
  lookup: PodLookup | undefined,
  ids: Iterable<string>,
  log: Logger,
): Promise<Map<string, ContainerIdentity | undefined>> {
  const out = new Map<string, ContainerIdentity | undefined>();
  for (const id of ids) {
    try {
      out.set(id, await lookup?.lookup(id));
    } catch (e) {
      log.debug({ err: e, containerId: id }, 'pod lookup failed');
      out.set(id, undefined);
    }
  }
  return out;
}

function hostOptions(cfg: NodeAgentConfig, log: Logger) {
  return {
    nodeName: cfg.NODE_NAME,
    hostRoot: cfg.HOST_ROOT,
    procRoot: cfg.HOST_PROC,
    log: log.child({ collector: 'host' }),
    maxFileBytes: cfg.HOST_MAX_FILE_BYTES,
    maxFilesPerDir: cfg.HOST_MAX_FILES_PER_DIR,
  };
}

function scanOptions(cfg: NodeAgentConfig) {
  return { maxFdsPerProcess: cfg.RELEVANCY_MAX_FDS_PER_PROCESS, maxMapsBytes: cfg.RELEVANCY_MAX_MAPS_BYTES };
}

async function runOnce(
  cfg: NodeAgentConfig,
  options: NodeAgentOptions,
  lookup: PodLookup | undefined,
  log: Logger,
): Promise<NodeAgentSnapshot> {
  const collectedAt = new Date();
  const host = cfg.HOST_SENSOR_ENABLED ? await collectHostFacts(hostOptions(cfg, log)) : null;
  let relevancy: NodeAgentSnapshot['relevancy'] = null;
  if (cfg.RELEVANCY_ENABLED) {
    const scan = await scanProcfs(
      new ProcFs(cfg.HOST_PROC),
      scanOptions(cfg),
      log.child({ collector: 'relevancy' }),
    );
    const ids = await identify(lookup, scan.containers.keys(), log);
    relevancy = {
      containers: [...scan.containers]
        .map(([containerId, c]) => ({
          containerId,
          identity: ids.get(containerId),
          pids: c.pids.sort((a, b) => a - b),
          files: [...c.files].sort(),
        }))
        .sort((a, b) => (a.containerId < b.containerId ? -1 : 1)),
      stats: scan.stats,
    };
  }
  const snapshot: NodeAgentSnapshot = {
    nodeName: cfg.NODE_NAME,
    collectedAt: collectedAt.toISOString(),
    host,
    relevancy,
  };
  if (options.print) {
    (options.stdout ?? process.stdout).write(JSON.stringify(snapshot, null, 2) + '\n');
    return snapshot;
  }
  // Not printing: deliver what one collection saw. Relevancy reports are not `complete` (one scan
  // is not a learning period).
  const sink = new HttpSink({ url: cfg.K_SINK, timeoutMs: cfg.KSCAPE_EMIT_TIMEOUT });
  if (!sink.configured) {
    log.warn('K_SINK is not set: nothing sent (use --print to see the collection)');
    return snapshot;
  }
  if (host) {
    const r = await send(sink, hostEvent(cfg.NODE_NAME, host, factsHash(host), collectedAt));
    if (r.outcome !== 'sent') log.error({ err: r.error }, 'host report not delivered');
  }
  for (const c of relevancy?.containers ?? []) {
    const ev = relevancyEvent(cfg.NODE_NAME, {
      containerId: c.containerId,
      identity: c.identity,
      files: c.files.slice(0, cfg.RELEVANCY_MAX_FILES),
      complete: false,
      status: 'learning',
      completion: 'partial',
      truncated: c.files.length > cfg.RELEVANCY_MAX_FILES,
      firstSeen: collectedAt.toISOString(),
    });
    if (!ev) continue;
    const r = await send(sink, ev);
    if (r.outcome !== 'sent')
      log.error({ err: r.error, containerId: c.containerId }, 'relevancy report not delivered');
  }
  return snapshot;
}

/** Sleep that ends early on abort; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function runLoop(
  cfg: NodeAgentConfig,
  options: NodeAgentOptions,
  lookup: PodLookup | undefined,
  log: Logger,
  missingCapabilities: readonly MissingCapability[],
): Promise<undefined> {
  const stop = new AbortController();
  const signals = options.handleSignals ?? true;
  const onSignal = (sig: NodeJS.Signals) => {
    log.info({ signal: sig }, 'shutting down');
    stop.abort();
  };
  if (signals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();

  const metrics = new Metrics();
  for (const type of ['host', 'relevancy']) {
    metrics.declare(M.sent[0], M.sent[1], { type });
    metrics.declare(M.failed[0], M.failed[1], { type });
  }
  metrics.set(M.tracked[0], M.tracked[1], 0);
  for (const { name } of AGENT_CAPABILITIES) {
    const missing = missingCapabilities.some((m) => m.capability === name);
    metrics.set(M.capMissing[0], M.capMissing[1], missing ? 1 : 0, { capability: name });
  }
  const sink = new HttpSink({ url: cfg.K_SINK, timeoutMs: cfg.KSCAPE_EMIT_TIMEOUT });
  if (!sink.configured) log.warn('K_SINK is not set: reports are collected but not sent');

  const state = {
    hostReady: !cfg.HOST_SENSOR_ENABLED,
    relevancyReady: !cfg.RELEVANCY_ENABLED,
    lastHostHash: '',
    lastHostSent: 0,
  };

  const server = http.createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0];
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = 'application/json; charset=utf-8';
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(405, json, '{"error":"method not allowed"}');
    if (route === '/livez') return answer(200, json, '{"alive":true}');
    // Ready after the first collection of each enabled collector: before that we have nothing to offer.
    if (route === '/readyz')
      return state.hostReady && state.relevancyReady
        ? answer(200, json, '{"ready":true}')
        : answer(503, json, '{"ready":false}');
    if (route === '/metrics')
      return answer(200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render());
    return answer(404, json, '{"error":"not found"}');
  });
  // Probes and scrapes are tiny GETs: anything slow or large is not one of them.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.HEALTH_PORT, cfg.HEALTH_HOST || undefined, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : cfg.HEALTH_PORT;
      log.info({ port, sink: cfg.K_SINK ?? null }, 'node-agent started');
      options.onListening?.(port);
      resolve();
    });
  });

  const deliver = async (type: 'host' | 'relevancy', ev: Parameters<typeof send>[1]): Promise<boolean> => {
    if (!sink.configured) return false;
    const r = await send(sink, ev);
    if (r.outcome === 'sent') {
      metrics.inc(M.sent[0], M.sent[1], { type });
      return true;
    }
    metrics.inc(M.failed[0], M.failed[1], { type });
    log.warn({ err: r.error, type, outcome: r.outcome }, 'report not delivered');
    // A rejected (permanent) report is not retried: it would be rejected again.
    return r.outcome === 'dropped';
  };

  const hostLoop = async () => {
    while (!stop.signal.aborted) {
      const t0 = performance.now();
      try {
        const facts = await collectHostFacts(hostOptions(cfg, log));
        metrics.set(M.duration[0], M.duration[1], (performance.now() - t0) / 1000, { collector: 'host' });
        metrics.inc(M.collections[0], M.collections[1], { collector: 'host', result: 'ok' });
        state.hostReady = true;
        const hash = factsHash(facts);
        const changed = hash !== state.lastHostHash;
        if (changed || Date.now() - state.lastHostSent >= cfg.HOST_REPORT_INTERVAL) {
          if (changed && state.lastHostHash) log.info('host facts changed; reporting now');
          if (await deliver('host', hostEvent(cfg.NODE_NAME, facts, hash, new Date()))) {
            state.lastHostHash = hash;
            state.lastHostSent = Date.now();
          }
        }
      } catch (e) {
        metrics.inc(M.collections[0], M.collections[1], { collector: 'host', result: 'error' });
        log.error({ err: e }, 'host facts collection failed');
      }
      await sleep(cfg.HOST_CHECK_INTERVAL, stop.signal);
    }
  };

  const tracker = new RelevancyTracker({
    initialDelayMs: cfg.RELEVANCY_INITIAL_DELAY,
    updatePeriodMs: cfg.RELEVANCY_UPDATE_PERIOD,
    maxLearningMs: cfg.RELEVANCY_MAX_LEARNING_PERIOD,
    jitterPercent: cfg.RELEVANCY_JITTER_PERCENT,
    maxFiles: cfg.RELEVANCY_MAX_FILES,
    startGraceMs: 2 * cfg.RELEVANCY_SCAN_INTERVAL,
  });
  const proc = new ProcFs(cfg.HOST_PROC);
  const rlog = log.child({ collector: 'relevancy' });
  const relevancyLoop = async () => {
    while (!stop.signal.aborted) {
      const t0 = performance.now();
      try {
        const scan = await scanProcfs(proc, { ...scanOptions(cfg), want: tracker.want }, rlog);
        const ids = await identify(lookup, scan.containers.keys(), rlog);
        const now = Date.now();
        tracker.observe(scan, ids, now);
        metrics.set(M.duration[0], M.duration[1], (performance.now() - t0) / 1000, {
          collector: 'relevancy',
        });
        metrics.inc(M.collections[0], M.collections[1], { collector: 'relevancy', result: 'ok' });
        metrics.inc(M.skipped[0], M.skipped[1], {}, scan.stats.skipped);
        metrics.inc(M.malformed[0], M.malformed[1], {}, scan.stats.malformedCgroupLines);
        state.relevancyReady = true;
        for (const r of tracker.due(now)) await deliverRelevancy(r);
        metrics.set(M.tracked[0], M.tracked[1], tracker.size);
      } catch (e) {
        metrics.inc(M.collections[0], M.collections[1], { collector: 'relevancy', result: 'error' });
        rlog.error({ err: e }, 'relevancy scan failed');
      }
      await sleep(cfg.RELEVANCY_SCAN_INTERVAL, stop.signal);
    }
  };
  const deliverRelevancy = async (r: RelevancyReport) => {
    let ev;
    try {
      ev = relevancyEvent(cfg.NODE_NAME, r);
    } catch (e) {
      // Event data the catalog rejects (e.g. a pod name that is not DNS-1123) would never pass.
      rlog.error({ err: e, containerId: r.containerId }, 'relevancy report is invalid; dropped');
      metrics.inc(M.failed[0], M.failed[1], { type: 'relevancy' });
      tracker.ack(r.containerId, true, r.files.length);
      return;
    }
    if (!ev) {
      // No pod known for this container (not a Kubernetes container, or the pod list lags).
      // A final report of an unidentified container has nowhere to go: forget it.
      rlog.debug({ containerId: r.containerId, status: r.status }, 'no pod for container; report not sent');
      if (r.status !== 'learning') tracker.ack(r.containerId, true, r.files.length);
      return;
    }
    tracker.ack(r.containerId, await deliver('relevancy', ev), r.files.length);
  };

  try {
    await Promise.all([
      cfg.HOST_SENSOR_ENABLED ? hostLoop() : undefined,
      cfg.RELEVANCY_ENABLED ? relevancyLoop() : undefined,
    ]);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (signals) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    log.info('node-agent stopped');
  }
  return undefined;
}
