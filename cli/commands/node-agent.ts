/**
 * `kscape node-agent [--once] [--print]`: the node agent (DaemonSet), or one collection printed as
 * JSON for debugging on a node. Also the entry of the agent's esbuild bundle (node-agent/bundle.ts),
 * which `kscape node-agent` loads without commander when it is current.
 */
import { writeSync } from 'node:fs';
import v8 from 'node:v8';

/**
 * V8 flags for a small resident set, set before the agent's code loads: Node refuses them in
 * NODE_OPTIONS, and `kscape node-agent` run by hand on a node should get them as the DaemonSet's
 * does (its command adds only the heap bounds). No optimising compilers
 * (TurboFan: ~4 MiB of compiled code and compiler zones; Maglev, on by default from Node 22): a
 * scan every 30 s is not hot code. --optimize-for-size grows the heap less eagerly between
 * collections. Together ~7 MiB less peak RSS with 100 containers for ~2× the CPU time of a scan
 * (bench/node-agent.ts). KSCAPE_NODE_AGENT_V8_FLAGS=off keeps V8's defaults.
 */
export const NODE_AGENT_V8_FLAGS = ['--no-turbofan', '--no-maglev', '--optimize-for-size'] as const;

export interface NodeAgentCommandOptions {
  once?: boolean;
  print?: boolean;
}

export async function runNodeAgentCommand(opts: NodeAgentCommandOptions): Promise<void> {
  if (process.env.KSCAPE_NODE_AGENT_V8_FLAGS?.trim() !== 'off')
    for (const flag of NODE_AGENT_V8_FLAGS) v8.setFlagsFromString(flag);
  const once = opts.once === true;
  const print = opts.print === true;
  if (print) {
    // stdout carries the JSON document: logs go to stderr so the output stays parseable.
    // Synchronous writes: a handful of lines, and they must not interleave with a crash message.
    const { createLogger, setRootLogger } = await import('../../lib/log/index.js');
    setRootLogger(createLogger({ write: (line: string) => void writeSync(2, line) }));
  }
  const { runNodeAgent } = await import('../../node-agent/agent.js');
  await runNodeAgent({ once, print });
}
