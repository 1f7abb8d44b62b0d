/**
 * Waits for a spawned long-running node agent to finish a number of relevancy scans and host
 * collections, read from its own /metrics (the health port it logs at start), so memory figures are
 * taken after real work. Shared by bench/node-agent.ts and node-agent/bench/privileges.ts.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export type AgentProcess = ChildProcessByStdio<null, Readable, null>;

export interface AgentWait {
  /** Relevancy scans to wait for (the host collection needs one). */
  scans: number;
  timeoutMs: number;
}

/** Resolves with the number of relevancy scans seen; throws with the agent's last output on exit or timeout. */
export async function waitForAgentScans(child: AgentProcess, wait: AgentWait): Promise<number> {
  let port = 0;
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const m = /"port":(\d+)/.exec(buf);
    if (m && !port) port = Number(m[1]);
  });
  const deadline = Date.now() + wait.timeoutMs;
  let scans = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${buf.slice(-2000)}`);
    if (!port) continue;
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const ok = (c: string) =>
      Number(new RegExp(`collections_total\\{collector="${c}",result="ok"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    scans = ok('relevancy');
    if (scans >= wait.scans && ok('host') >= 1) return scans;
  }
  throw new Error(`agent did not complete ${wait.scans} scans in ${wait.timeoutMs / 1000} s`);
}
