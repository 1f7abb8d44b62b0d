/**
 * `kscape node-agent [--once] [--print]`: the node agent (DaemonSet), or one collection printed as
 * JSON for debugging on a node. Also the entry of the agent's esbuild bundle (node-agent/bundle.ts),
 * which `kscape node-agent` loads without commander when it is current.
 */
import { writeSync } from 'node:fs';

export interface NodeAgentCommandOptions {
  once?: boolean;
  print?: boolean;
}

export async function runNodeAgentCommand(opts: NodeAgentCommandOptions): Promise<void> {
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
