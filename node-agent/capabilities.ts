/**
 * Start-up check of the two Linux capabilities the agent relies on. Without them the agent still
 * runs (every unreadable procfs entry or host file is skipped with a debug line), but whole
 * categories of facts silently go missing; this says once, in plain words, which and why.
 *
 * The agent runs as uid 65532 and gets its capabilities from file capabilities on the node binary
 * it runs (Dockerfile, DaemonSet `command`). They are lost when that binary is not the one running
 * (plain `node`), when the capability is not in the bounding set (execve then fails outright), when
 * no_new_privs is set and the runtime did not put them into the permitted set (no capabilities.add),
 * or when the image build dropped the xattr; the hint names the likeliest.
 */
import fs from 'node:fs/promises';
import type { Logger } from '../lib/log/index.js';

export interface AgentCapability {
  /** Kernel name, as capabilities(7) and `getpcaps` print it. */
  name: 'CAP_DAC_READ_SEARCH' | 'CAP_SYS_PTRACE';
  /** Bit in the CapEff/CapBnd masks of /proc/<pid>/status (linux/capability.h). */
  bit: number;
  /** What the agent cannot collect without it (verified by capabilities.e2e.test.ts). */
  withoutIt: string;
}

export const AGENT_CAPABILITIES: readonly AgentCapability[] = [
  {
    name: 'CAP_SYS_PTRACE',
    bit: 19,
    withoutIt:
      "exe links, memory-mapped files and open files of other users' processes are skipped " +
      '(relevancy of containers not running as this uid; owners of open ports)',
  },
  {
    name: 'CAP_DAC_READ_SEARCH',
    bit: 2,
    withoutIt:
      "the fd tables of other users' processes cannot be listed (their open files and socket owners " +
      'are skipped) and host files this uid may not read (0600 PKI keys, kubelet and CNI configs, the ' +
      'etcd data directory) are reported as unreadable',
  },
];

export interface ProcStatus {
  uid: number;
  effective: bigint;
  bounding: bigint;
  noNewPrivs: boolean;
}

/** The fields of /proc/<pid>/status this check needs; undefined if any is absent. */
export function parseProcStatus(text: string): ProcStatus | undefined {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const uid = field('Uid')?.split(/\s+/)[1]; // real, EFFECTIVE, saved, filesystem
  const eff = field('CapEff');
  const bnd = field('CapBnd');
  const nnp = field('NoNewPrivs');
  if (uid === undefined || !/^\d+$/.test(uid)) return undefined;
  if (eff === undefined || !/^[0-9a-f]{1,16}$/i.test(eff)) return undefined;
  if (bnd === undefined || !/^[0-9a-f]{1,16}$/i.test(bnd)) return undefined;
  return {
    uid: Number(uid),
    effective: BigInt(`0x${eff}`),
    bounding: BigInt(`0x${bnd}`),
    // Absent before Linux 4.10: cannot tell, assume not set.
    noNewPrivs: nnp === '1',
  };
}

export interface MissingCapability {
  capability: AgentCapability['name'];
  skipped: string;
  /** The likeliest reason, for the operator. */
  hint: string;
}

export function missingCapabilities(status: ProcStatus, execPath: string): MissingCapability[] {
  const out: MissingCapability[] = [];
  for (const cap of AGENT_CAPABILITIES) {
    const mask = 1n << BigInt(cap.bit);
    if ((status.effective & mask) !== 0n) continue;
    let hint: string;
    if ((status.bounding & mask) === 0n)
      hint = `${cap.name} is not in the bounding set: add ${cap.name.slice(4)} to securityContext.capabilities.add`;
    else if (status.uid === 0)
      hint = `running as root without ${cap.name}: add ${cap.name.slice(4)} to securityContext.capabilities.add`;
    else if (status.noNewPrivs)
      // Under no_new_privs execve keeps file capabilities only if the starting process already held
      // them in its permitted set, which the runtime does for capabilities.add.
      hint =
        `no_new_privs is set and the process that started the agent did not hold ${cap.name}, so the ` +
        `node binary's file capability was not granted: add ${cap.name.slice(4)} to securityContext.capabilities.add`;
    else
      hint =
        `${execPath} carries no file capability ${cap.name.slice(4).toLowerCase()}: run the agent with ` +
        "the image's capability-bearing node binary (see the DaemonSet command) or as root";
    out.push({ capability: cap.name, skipped: cap.withoutIt, hint });
  }
  return out;
}

/**
 * Reads this process's status and logs one warning per missing capability (nothing is thrown:
 * the agent runs with what it has). Returns what is missing; undefined when the status could not
 * be read (not Linux, or /proc not mounted), which is only logged at debug.
 */
export async function checkCapabilities(
  log: Logger,
  statusFile = '/proc/self/status',
  execPath = process.execPath,
): Promise<MissingCapability[] | undefined> {
  let status: ProcStatus | undefined;
  try {
    status = parseProcStatus(await fs.readFile(statusFile, 'utf8'));
  } catch (e) {
    log.debug(
      { error: (e as NodeJS.ErrnoException).code ?? String(e) },
      'capability check skipped: %s unreadable',
      statusFile,
    );
    return undefined;
  }
  if (!status) {
    log.debug('capability check skipped: %s lacks Uid/CapEff/CapBnd', statusFile);
    return undefined;
  }
  const missing = missingCapabilities(status, execPath);
  for (const m of missing)
    log.warn(
      { capability: m.capability, uid: status.uid, skipped: m.skipped, hint: m.hint },
      `missing capability ${m.capability}: ${m.skipped}`,
    );
  if (missing.length === 0)
    log.debug(
      { uid: status.uid, capabilities: AGENT_CAPABILITIES.map((c) => c.name) },
      'capabilities present',
    );
  return missing;
}
