/**
 * Open ports: listening TCP and bound UDP sockets from /proc/<pid>/net/{tcp,tcp6,udp,udp6}, with the
 * process that holds each socket (socket inode → the /proc/<pid>/fd/* link `socket:[inode]`).
 *
 * Why /proc/1/net and not /proc/net: /proc/net is a link to /proc/self/net, the *reader's* network
 * namespace. The agent pod is not on the host network, so we read the view of PID 1 of the host's
 * procfs (mounted at HOST_PROC, which shows the host's PID namespace), the node's namespace. If
 * PID 1's entries are unreadable we fall back to `self` and say so.
 */
import type { Logger } from '../../lib/log/index.js';
import { ProcFs, yieldToEventLoop } from '../procfs.js';
import type { PortFact } from './facts.js';

const TCP_LISTEN = '0A';
/** A /proc/net table can be long on busy nodes; the kernel prints ~150 bytes per socket. */
const MAX_NET_TABLE_BYTES = 16 * 1024 * 1024;

export interface Socket {
  transport: PortFact['transport'];
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  inode: number;
}

/** Decode `0100007F:1F90` (IPv4) or a 32-hex-digit IPv6 address with port, as the kernel prints them. */
export function decodeAddress(hex: string): { address: string; port: number } | undefined {
  const [addr, port] = hex.split(':');
  if (addr === undefined || port === undefined || !/^[0-9A-Fa-f]{4}$/.test(port)) return undefined;
  const p = parseInt(port, 16);
  if (/^[0-9A-Fa-f]{8}$/.test(addr)) {
    // One 32-bit word in host byte order (little-endian on every platform Kubernetes nodes run).
    const b = Buffer.from(addr, 'hex').reverse();
    return { address: Array.from(b).join('.'), port: p };
  }
  if (/^[0-9A-Fa-f]{32}$/.test(addr)) {
    // Four 32-bit words, each in host byte order.
    const bytes: number[] = [];
    for (let w = 0; w < 4; w++) bytes.push(...Buffer.from(addr.slice(w * 8, w * 8 + 8), 'hex').reverse());
    // IPv4-mapped (::ffff:a.b.c.d) is shown the way `ss` does.
    if (bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
      return { address: `::ffff:${bytes.slice(12).join('.')}`, port: p };
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return { address: compressIpv6(groups), port: p };
  }
  return undefined;
}

function compressIpv6(groups: string[]): string {
  // Longest run of zero groups (length ≥ 2) becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parse one /proc/net/{tcp,udp}[6] table; malformed lines are skipped. */
export function parseNetTable(text: string, transport: Socket['transport']): Socket[] {
  const out: Socket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10) continue;
    const local = decodeAddress(f[1]!);
    const remote = decodeAddress(f[2]!);
    const inode = Number(f[9]);
    if (!local || !remote || !/^[0-9A-F]{2}$/i.test(f[3]!) || !Number.isSafeInteger(inode)) continue;
    out.push({
      transport,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: f[3]!.toUpperCase(),
      inode,
    });
  }
  return out;
}

function isOpen(s: Socket): boolean {
  if (s.transport.startsWith('tcp')) return s.state === TCP_LISTEN;
  // UDP has no LISTEN: a socket bound to a port and not connected to a peer receives from anyone.
  return s.remotePort === 0 && s.localPort !== 0;
}

/**
 * Map socket inodes to the first process (lowest PID) holding them. Scans every process's fd table
 * but stops as soon as all wanted inodes are found.
 */
export async function socketOwners(
  proc: ProcFs,
  inodes: Set<number>,
  log: Logger,
  maxFds = 65_536,
): Promise<Map<number, number>> {
  const owners = new Map<number, number>();
  if (inodes.size === 0) return owners;
  let pids: number[];
  try {
    pids = await proc.pids();
  } catch (e) {
    log.debug({ err: e }, 'cannot list processes for socket owners');
    return owners;
  }
  for (const [i, pid] of pids.entries()) {
    if (i % 64 === 63) await yieldToEventLoop();
    const fds = proc.fds(pid, maxFds);
    if (!Array.isArray(fds)) {
      log.debug({ pid, error: fds.error }, 'skipping process: fd table unreadable or process exited');
      continue;
    }
    for (const fd of fds) {
      const link = proc.readlink(`${pid}/fd/${fd}`);
      if (typeof link !== 'string') continue; // fd closed or process exited mid-scan
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (!m) continue;
      const inode = Number(m[1]);
      if (inodes.has(inode) && !owners.has(inode)) owners.set(inode, pid);
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

export type OpenPorts = {
  tcp: PortFact[];
  udp: PortFact[];
  netNamespacePid: string;
  error?: string;
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function collectOpenPorts(proc: ProcFs, log: Logger, netNamespacePid = '1'): Promise<OpenPorts> {
  const tables = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
  const read = async (ns: string) =>
    Promise.all(tables.map((t) => proc.readText(`${ns}/net/${t}`, MAX_NET_TABLE_BYTES)));
  let ns = netNamespacePid;
  let texts = await read(ns);
  if (texts.every((t) => typeof t !== 'string') && ns !== 'self') {
    log.debug(
      { netNamespacePid: ns },
      'network tables of the namespace PID unreadable; falling back to self',
    );
    ns = 'self';
    texts = await read(ns);
  }
  const sockets: Socket[] = [];
  const errors: string[] = [];
  tables.forEach((t, i) => {
    const text = texts[i]!;
    // tcp6/udp6 are missing when IPv6 is disabled: not an error worth reporting.
    if (typeof text === 'string') sockets.push(...parseNetTable(text, t).filter(isOpen));
    else if (text.error !== 'ENOENT') errors.push(`${t}: ${text.error}`);
  });
  const owners = await socketOwners(proc, new Set(sockets.map((s) => s.inode).filter((i) => i !== 0)), log);
  const details = new Map<number, { name?: string; cmdLine?: string[] }>();
  for (const pid of new Set(owners.values())) {
    const [name, cmdLine] = await Promise.all([proc.comm(pid), proc.cmdline(pid)]);
    details.set(pid, { ...(name !== undefined ? { name } : {}), ...(cmdLine ? { cmdLine } : {}) });
  }
  const facts = sockets.map((s): PortFact => {
    const pid = owners.get(s.inode);
    return {
      transport: s.transport,
      localAddress: s.localAddress,
      localPort: s.localPort,
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      inode: s.inode,
      ...(pid !== undefined ? { pid, ...details.get(pid) } : {}),
    };
  });
  // Inodes change on every restart of a listener; sort by what is stable.
  facts.sort(
    (a, b) =>
      a.localPort - b.localPort || cmp(a.transport, b.transport) || cmp(a.localAddress, b.localAddress),
  );
  return {
    tcp: facts.filter((f) => f.transport.startsWith('tcp')),
    udp: facts.filter((f) => f.transport.startsWith('udp')),
    netNamespacePid: ns,
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
