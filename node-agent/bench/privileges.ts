/**
 * Memory of the real agent as deployed now (uid 65532, the image's capability-bearing copy of node,
 * node flags on its command line) against how it ran before (uid 0, plain node, the same flags in
 * NODE_OPTIONS), on the synthetic node of bench/node-agent.ts (control-plane fixture host + 100
 * containers × 5 processes), all in one run with a bare `node` as baseline. A third agent run shows
 * why the flags moved to the command line: a file with capabilities runs in secure-execution mode
 * (AT_SECURE), in which node ignores NODE_OPTIONS, so the heap bounds would silently be lost.
 *
 * Needs root, setcap and setpriv; runs what `npm run build` left in dist/:
 *   node dist/node-agent/bench/privileges.js
 * Writes bench/results/node-agent-privileges.json. Ratios against bare node compare across runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { waitForAgentScans } from './agent-run.js';
import { buildSyntheticNode } from './synthetic.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..');
const repo = join(dist, '..');
const CLI = join(dist, 'cli', 'main.js');
const AGENT_UID = '65532';
/** What the DaemonSet set as NODE_OPTIONS before it moved the flags to the command. */
const PREVIOUS_NODE_OPTIONS = '--max-semi-space-size=1 --max-old-space-size=64';

function commandFlags(): string[] {
  const file = join(repo, 'knative', 'base', 'kscape', 'node-agent', 'daemonset.yaml');
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const ds = doc.toJS() as { spec?: { template?: { spec?: { containers?: { command?: string[] }[] } } } };
    const command = ds.spec?.template?.spec?.containers?.[0]?.command;
    if (command) return command.slice(1).filter((a) => a.startsWith('--'));
  }
  throw new Error(`${file} has no container command`);
}

function statusField(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
}
const mib = (kB: string) => Math.round(Number(kB.replace(/ kB$/, '')) / 102.4) / 10;

interface AgentRun {
  peakRssMiB: number;
  rssMiB: number;
  heapLimitMiB: number | undefined;
  uid: string;
  capEff: string;
  scans: number;
  /** User + system CPU time of the whole run (start-up, 3+ scans of 500 processes, host facts). */
  cpuSeconds: number;
}

/** utime + stime of a process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The real agent, long-running, until 3 relevancy scans and one host collection are done. */
async function runAgent(
  argv: string[],
  env: Record<string, string>,
  node: { root: string; proc: string },
): Promise<AgentRun> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: '/',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: os.tmpdir(),
      NODE_NAME: 'bench-node',
      HOST_ROOT: node.root,
      HOST_PROC: node.proc,
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      RELEVANCY_SCAN_INTERVAL: '1s',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const scans = await waitForAgentScans(child, { scans: 3, timeoutMs: 180_000 });
    // setpriv execs node: the child's status is the agent's.
    return {
      peakRssMiB: mib(statusField(child.pid!, 'VmHWM')),
      rssMiB: mib(statusField(child.pid!, 'VmRSS')),
      heapLimitMiB: undefined,
      uid: statusField(child.pid!, 'Uid').split(/\s+/)[1]!,
      capEff: statusField(child.pid!, 'CapEff'),
      scans,
      cpuSeconds: cpuSeconds(child.pid!),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** V8's heap limit of `node` started the same way (shows whether the flags took effect). */
function heapLimitMiB(argv: string[], env: Record<string, string>): number {
  const out = execFileSync(
    argv[0]!,
    [...argv.slice(1), '-p', "Math.round(require('v8').getHeapStatistics().heap_size_limit/1048576)"],
    { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' },
  );
  return Number(out.trim());
}

if (process.geteuid?.() !== 0) throw new Error('needs root (setcap, setpriv to uid 65532)');
const dir = mkdtempSync(join(os.tmpdir(), 'kscape-node-agent-priv-'));
try {
  chmodSync(dir, 0o755);
  const capNode = join(dir, 'node-agent-node');
  copyFileSync(process.execPath, capNode);
  chmodSync(capNode, 0o755);
  execFileSync('setcap', ['cap_sys_ptrace,cap_dac_read_search=ep', capNode]);
  const node = await buildSyntheticNode(dir, 100, 5);
  // The synthetic node is written by root with private modes: make it readable like a host is
  // (uid 65532 reads it through DAC_READ_SEARCH anyway; this keeps the comparison about memory).
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  const asAgent = ['setpriv', `--reuid=${AGENT_UID}`, `--regid=${AGENT_UID}`, '--clear-groups'];
  const flags = commandFlags();

  const bareOut = execFileSync(
    process.execPath,
    ['-e', 'console.log(Math.round(process.resourceUsage().maxRSS/102.4)/10)'],
    { encoding: 'utf8' },
  );
  const runs = {
    before: {
      how: `uid 0, plain node, NODE_OPTIONS="${PREVIOUS_NODE_OPTIONS}"`,
      argv: [process.execPath, CLI, 'node-agent'],
      env: { NODE_OPTIONS: PREVIOUS_NODE_OPTIONS },
    },
    now: {
      how: `uid 65532, capability-bearing node, command flags ${flags.join(' ')}`,
      argv: [...asAgent, capNode, ...flags, CLI, 'node-agent'],
      env: {},
    },
    nodeOptionsIgnored: {
      how: `uid 65532, capability-bearing node, NODE_OPTIONS="${PREVIOUS_NODE_OPTIONS}" (ignored: AT_SECURE)`,
      argv: [...asAgent, capNode, CLI, 'node-agent'],
      env: { NODE_OPTIONS: PREVIOUS_NODE_OPTIONS },
    },
  } as const;
  const results: Record<string, AgentRun & { how: string }> = {};
  for (const [name, r] of Object.entries(runs)) {
    const heap = heapLimitMiB(r.argv.slice(0, r.argv.indexOf(CLI)), r.env as Record<string, string>);
    const a = await runAgent([...r.argv], r.env as Record<string, string>, node);
    results[name] = { ...a, heapLimitMiB: heap, how: r.how };
  }
  const bare = Number(bareOut.trim());
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { loadavg: os.loadavg().map((l) => +l.toFixed(2)), cpus: os.cpus().length },
    syntheticNode: { containers: 100, processesPerContainer: 5 },
    bareNodePeakMiB: bare,
    runs: results,
    ratios: Object.fromEntries(
      Object.entries(results).map(([k, v]) => [k, +(v.peakRssMiB / bare).toFixed(2)]),
    ),
    nowVsBefore: +(results.now!.peakRssMiB / results.before!.peakRssMiB).toFixed(2),
  };
  writeFileSync(
    join(repo, 'bench', 'results', 'node-agent-privileges.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  for (const [k, v] of Object.entries(results))
    process.stdout.write(
      `node-agent privileges ${k} (${v.how}): peak ${v.peakRssMiB} MiB (${(v.peakRssMiB / bare).toFixed(2)}× bare ${bare} MiB), ` +
        `V8 heap limit ${v.heapLimitMiB} MiB, CPU ${v.cpuSeconds} s for ${v.scans} scans, uid ${v.uid}, CapEff ${v.capEff}\n`,
    );
  process.stdout.write(
    `now/before peak RSS: ${result.nowVsBefore}; load ${result.machine.loadavg.join(' ')}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
