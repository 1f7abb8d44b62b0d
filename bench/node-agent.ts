/**
 * Node agent memory (issue: ≤ 64 MiB RSS with 100 containers) on a synthetic node
 * (node-agent/bench/synthetic.ts: control-plane fixture host + 100 containers × 5 processes).
 * Builds nothing: runs what `npm run build` left in dist/.
 *
 *  - harness: the bundled bench harness (dist/bundle/node-agent/rss.js, same chunks as the agent):
 *    5 relevancy scans merged into the learning tracker with one report event built and serialised
 *    per container and scan, then one host collection. RSS after imports and peak RSS.
 *  - unbundled: the same harness from the compiled modules (what bundling saves).
 *  - agent: the real `kscape node-agent` (CLI fast path, bundle, health server) long-running on the
 *    synthetic node with 1 s scans until 3 relevancy scans and a host collection ran; VmRSS/VmHWM.
 *    No cluster here, so containers are not mapped to pods: only its host report is sent.
 *  Events go to a local sink in this process (the harness posts every report there too).
 *  - baseline: a bare `node` process measured the same way in the same run.
 *
 * Each with V8's defaults (KSCAPE_NODE_AGENT_V8_FLAGS=off for the agent) and as deployed: the
 * node flags of the DaemonSet's command (read from its manifest) plus the V8 flags the agent sets itself
 * (passed on the command line to the harness and to bare node).
 * Ratios against bare node are what compare across runs; absolute MiB are this machine's Node.
 * Writes bench/results/node-agent.json.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { NODE_AGENT_V8_FLAGS } from '../cli/commands/node-agent.js';
import { waitForAgentScans } from '../node-agent/bench/agent-run.js';
import { buildSyntheticNode } from '../node-agent/bench/synthetic.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..');
const repo = join(dist, '..');
const CONTAINERS = 100;
const PER_CONTAINER = 5;
const SCANS = 5;
const TARGET_MIB = 64;

/**
 * The node flags of the node-agent container in the DaemonSet manifest: its `command` runs the
 * image's capability-bearing node with them before the CLI (that node ignores NODE_OPTIONS). Here
 * they are passed as NODE_OPTIONS to this machine's plain node, to the same effect.
 */
function daemonSetNodeOptions(): string {
  const file = join(repo, 'knative', 'base', 'kscape', 'node-agent', 'daemonset.yaml');
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const ds = doc.toJS() as { spec?: { template?: { spec?: { containers?: { command?: string[] }[] } } } };
    for (const c of ds.spec?.template?.spec?.containers ?? []) {
      const flags = (c.command ?? []).slice(1).filter((a) => a.startsWith('--'));
      if (flags.length) return flags.join(' ');
    }
  }
  throw new Error(`${file} sets no node flags in the container command`);
}

interface Mem {
  rssAfterImportsMiB: number;
  peakRssMiB: number;
  [k: string]: unknown;
}

/** Asynchronous: the harness posts to the sink this process serves. */
async function runJson(args: string[], nodeOptions: string, nodeFlags: string[]): Promise<Mem> {
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 4096)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Mem;
}

const BARE =
  'console.log(JSON.stringify({rssAfterImportsMiB: Math.round(process.memoryUsage().rss/104857.6)/10,' +
  ' peakRssMiB: Math.round(process.resourceUsage().maxRSS/102.4)/10}))';

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The real agent, long-running, until 3 relevancy scans and one host collection are done. */
async function runAgent(
  node: { root: string; proc: string },
  nodeOptions: string,
  v8Flags: boolean,
  sinkUrl: string,
) {
  // The agent sets its V8 flags itself (cli/commands/node-agent.ts): not passed here.
  const child = spawn(process.execPath, [join(dist, 'cli', 'main.js'), 'node-agent'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: os.tmpdir(),
      NODE_OPTIONS: nodeOptions,
      NODE_NAME: 'bench-node',
      HOST_ROOT: node.root,
      HOST_PROC: node.proc,
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      RELEVANCY_SCAN_INTERVAL: '1s',
      K_SINK: sinkUrl,
      ...(v8Flags ? {} : { KSCAPE_NODE_AGENT_V8_FLAGS: 'off' }),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const scans = await waitForAgentScans(child, { scans: 3, timeoutMs: 120_000 });
    return {
      scans,
      rssMiB: Math.round(statusKiB(child.pid!, 'VmRSS') / 102.4) / 10,
      peakRssMiB: Math.round(statusKiB(child.pid!, 'VmHWM') / 102.4) / 10,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const bundle = join(dist, 'bundle', 'node-agent', 'rss.js');
if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);

/** The broker stand-in: accepts every event (202) and counts them. */
let received = 0;
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(202).end();
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;

const dir = mkdtempSync(join(os.tmpdir(), 'kscape-node-agent-bench-'));
try {
  const node = await buildSyntheticNode(dir, CONTAINERS, PER_CONTAINER);
  const harnessArgs = [node.root, node.proc, node.identities, String(SCANS), sinkUrl];
  const ds = { nodeOptions: daemonSetNodeOptions(), nodeFlags: [...NODE_AGENT_V8_FLAGS] };
  const runs: Record<string, unknown> = {};
  for (const [flags, nodeOptions, nodeFlags] of [
    ['default', '', []],
    ['daemonset', ds.nodeOptions, ds.nodeFlags],
  ] as const) {
    const bare = await runJson(['-e', BARE], nodeOptions, [...nodeFlags]);
    const harness = await runJson([bundle, ...harnessArgs], nodeOptions, [...nodeFlags]);
    const unbundled = await runJson(
      [join(dist, 'node-agent', 'bench', 'rss.js'), ...harnessArgs],
      nodeOptions,
      [...nodeFlags],
    );
    const agent = await runAgent(node, nodeOptions, nodeFlags.length > 0, sinkUrl);
    runs[flags] = {
      nodeOptions,
      nodeFlags,
      bare,
      harness,
      unbundled: { rssAfterImportsMiB: unbundled.rssAfterImportsMiB, peakRssMiB: unbundled.peakRssMiB },
      agent,
      ratios: {
        harnessAfterImportsVsBare: +(harness.rssAfterImportsMiB / bare.rssAfterImportsMiB).toFixed(2),
        harnessPeakVsBare: +(harness.peakRssMiB / bare.peakRssMiB).toFixed(2),
        agentPeakVsBare: +(agent.peakRssMiB / bare.peakRssMiB).toFixed(2),
        unbundledAfterImportsVsBundled: +(unbundled.rssAfterImportsMiB / harness.rssAfterImportsMiB).toFixed(
          2,
        ),
      },
      targetMet: harness.peakRssMiB <= TARGET_MIB && agent.peakRssMiB <= TARGET_MIB,
    };
    process.stdout.write(
      `node-agent (${flags}${nodeOptions ? `: ${[...nodeFlags, nodeOptions].join(' ')}` : ''}): bare node ${bare.rssAfterImportsMiB} MiB; ` +
        `harness after imports ${harness.rssAfterImportsMiB} MiB (unbundled ${unbundled.rssAfterImportsMiB}), ` +
        `peak ${harness.peakRssMiB} MiB (${(harness.peakRssMiB / bare.peakRssMiB).toFixed(2)}× bare); ` +
        `agent peak ${agent.peakRssMiB} MiB after ${agent.scans} scans (target ≤ ${TARGET_MIB} MiB)\n`,
    );
  }
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { loadavg: os.loadavg().map((l) => +l.toFixed(2)), cpus: os.cpus().length },
    eventsReceivedBySink: received,
    syntheticNode: { containers: CONTAINERS, processesPerContainer: PER_CONTAINER, scans: SCANS },
    runs,
    summary: Object.fromEntries(
      Object.entries(runs).map(([k, v]) => {
        const r = v as {
          harness: Mem;
          agent: { peakRssMiB: number };
          bare: Mem;
          targetMet: boolean;
        };
        return [
          k,
          {
            bareMiB: r.bare.rssAfterImportsMiB,
            afterImportsMiB: r.harness.rssAfterImportsMiB,
            harnessPeakMiB: r.harness.peakRssMiB,
            agentPeakMiB: r.agent.peakRssMiB,
            targetMet: r.targetMet,
          },
        ];
      }),
    ),
  };
  writeFileSync(join(repo, 'bench', 'results', 'node-agent.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  sink.close();
}
