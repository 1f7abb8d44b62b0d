/**
 * Memory of the agent over a synthetic node (see synthetic.ts): runs `scans` relevancy scans merged
 * into the learning tracker with a report built per container and scan, then one host collection,
 * and prints one JSON line with the RSS after imports and the peak RSS (getrusage maxrss).
 *
 *   node rss.js <hostRoot> <procRoot> <identities.json> [scans=5] [sinkUrl]
 *
 * With a sink URL every event is posted there as the agent would (node:http client included).
 *
 * Meant to run compiled, in its own process (rss.test.ts does both), so the numbers are the agent's
 * alone and not a TypeScript loader's or a test runner's.
 */
import fs from 'node:fs/promises';
import { pino } from 'pino';
import { collectHostFacts, factsHash } from '../host/collect.js';
import { ProcFs } from '../procfs.js';
import { scanProcfs } from '../relevancy/collector.js';
import { StaticPodLookup, type ContainerIdentity } from '../relevancy/pods.js';
import { RelevancyTracker } from '../relevancy/tracker.js';
import { hostEvent, relevancyEvent, send } from '../report.js';
import { HttpSink } from '../sink.js';

const [hostRoot, procRoot, identitiesFile, scansArg, sinkUrl] = process.argv.slice(2);
const log = pino({ level: 'silent' });
const mib = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;

async function main(): Promise<void> {
  if (!hostRoot || !procRoot || !identitiesFile)
    throw new Error('usage: rss.js <hostRoot> <procRoot> <identities.json> [scans]');
  const scans = Number(scansArg ?? 5);
  const rssAfterImports = process.memoryUsage().rss;
  const lookup = new StaticPodLookup(
    JSON.parse(await fs.readFile(identitiesFile, 'utf8')) as ContainerIdentity[],
  );
  const tracker = new RelevancyTracker({
    initialDelayMs: 0,
    updatePeriodMs: 1,
    maxLearningMs: 1e12,
    jitterPercent: 0,
    maxFiles: 20_000,
    startGraceMs: 0,
  });
  const sink = new HttpSink({ url: sinkUrl, timeoutMs: 10_000 });
  let sent = 0;
  let files = 0;
  let reports = 0;
  let processes = 0;
  let containers = 0;
  const t0 = performance.now();
  for (let s = 0; s < scans; s++) {
    const scan = await scanProcfs(
      new ProcFs(procRoot),
      { maxFdsPerProcess: 4096, maxMapsBytes: 4 * 1024 * 1024, want: tracker.want },
      log,
    );
    processes = scan.stats.containerProcesses;
    containers = scan.containers.size;
    const ids = new Map<string, ContainerIdentity | undefined>();
    for (const id of scan.containers.keys()) ids.set(id, await lookup.lookup(id));
    tracker.observe(scan, ids, s * 1000);
    for (const r of tracker.due(s * 1000)) {
      // Build the event as the agent would (serialisation included), then drop it.
      const ev = relevancyEvent('bench-node', r);
      if (ev) {
        reports++;
        if (sink.configured) {
          if ((await send(sink, ev)).outcome === 'sent') sent++;
        } else JSON.stringify(ev.data);
      }
      files = Math.max(files, r.files.length);
      tracker.ack(r.containerId, true, r.files.length);
    }
  }
  const relevancyMs = performance.now() - t0;
  const t1 = performance.now();
  const facts = await collectHostFacts({ nodeName: 'bench-node', hostRoot, procRoot, log });
  const hostMs = performance.now() - t1;
  if (
    sink.configured &&
    (await send(sink, hostEvent('bench-node', facts, factsHash(facts), new Date()))).outcome === 'sent'
  )
    sent++;
  console.log(
    JSON.stringify({
      containers,
      containerProcesses: processes,
      scans,
      reports,
      sent,
      filesPerContainer: files,
      hostSections: Object.keys(facts).length,
      relevancyMsPerScan: Math.round(relevancyMs / scans),
      hostMs: Math.round(hostMs),
      rssAfterImportsMiB: mib(rssAfterImports),
      rssEndMiB: mib(process.memoryUsage().rss),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      heapUsedMiB: mib(process.memoryUsage().heapUsed),
    }),
  );
}

await main();
