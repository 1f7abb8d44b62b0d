/**
 * The host sensor: collects the facts Kubescape's host scanner served (reference operator.md §5.7)
 * from a mounted host root and procfs, as one `HostFacts` document (see facts.ts).
 *
 * Processes (kubelet, kube-proxy, control-plane components) are found by their command line in
 * procfs; the files their flags name are host paths, read below HOST_ROOT. Control-plane static
 * pods run in containers, but kubeadm mounts /etc/kubernetes/pki, /var/lib/etcd etc. at the same
 * paths (hostPath), so their flag paths are host paths too; that is what CIS checks assume.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../../lib/log/index.js';
import { parseFlags, ProcFs } from '../procfs.js';
import type {
  CniInfo,
  ConfigFileFact,
  ControlPlaneComponent,
  ControlPlaneInfo,
  FileInfoFact,
  HostFacts,
  KubeletInfo,
  KubeProxyInfo,
  ProcessFact,
} from './facts.js';
import { HostFs } from './hostfs.js';
import { HOST_FACTS_SCHEMA_VERSION } from './schema-version.js';
import { collectOpenPorts } from './ports.js';

export interface HostSensorOptions {
  nodeName: string;
  /** Mounted host root (HOST_ROOT). */
  hostRoot: string;
  /** Mounted host procfs (HOST_PROC). */
  procRoot: string;
  log: Logger;
  maxFileBytes?: number;
  maxFilesPerDir?: number;
  /** Whose /proc/<pid>/net to read for open ports; '1' in the host's procfs is the host's network namespace. */
  netNamespacePid?: string;
}

/**
 * Security-relevant kernel variables reported as `kernelVariables` (paths below /proc/sys, dots as
 * slashes). The kernel.* and vm.* keys are the ones the kubelet's --protect-kernel-defaults (CIS
 * 4.2.6) compares against; the others are common hardening baselines (CIS distribution benchmarks,
 * KSPP). net.* keys are not listed: /proc/sys/net shows the reader's network namespace, and the
 * agent does not run on the host network, so values would describe the pod, not the node.
 */
export const KERNEL_VARIABLES = [
  'kernel.randomize_va_space', // ASLR: 2 = full
  'kernel.kptr_restrict', // hide kernel pointers from unprivileged users
  'kernel.dmesg_restrict', // restrict dmesg to CAP_SYSLOG
  'kernel.yama.ptrace_scope', // restrict ptrace to descendants
  'kernel.unprivileged_bpf_disabled', // unprivileged eBPF is a common container-escape vector
  'kernel.unprivileged_userns_clone', // Debian/Ubuntu: unprivileged user namespaces
  'kernel.kexec_load_disabled',
  'kernel.perf_event_paranoid',
  'kernel.modules_disabled',
  'kernel.sysrq',
  'kernel.core_pattern', // a pipe here runs a host program on every crash
  'kernel.panic', // kubelet protect-kernel-defaults expects 10
  'kernel.panic_on_oops', // expects 1
  'kernel.keys.root_maxkeys', // expects 1000000
  'kernel.keys.root_maxbytes', // expects 25000000
  'kernel.pid_max',
  'vm.overcommit_memory', // expects 1
  'vm.panic_on_oom', // expects 0
  'vm.mmap_min_addr',
  'fs.suid_dumpable',
  'fs.protected_hardlinks',
  'fs.protected_symlinks',
  'fs.protected_fifos',
  'fs.protected_regular',
] as const;

/** Where kubelet systemd units and drop-ins live on common distributions. */
const KUBELET_SERVICE_FILES = [
  '/etc/systemd/system/kubelet.service',
  '/lib/systemd/system/kubelet.service',
  '/usr/lib/systemd/system/kubelet.service',
];
const KUBELET_DROPIN_DIRS = [
  '/etc/systemd/system/kubelet.service.d',
  '/lib/systemd/system/kubelet.service.d',
  '/usr/lib/systemd/system/kubelet.service.d',
];

const MANIFESTS_DIR = '/etc/kubernetes/manifests';
const PKI_DIR = '/etc/kubernetes/pki';
const CNI_DIR = '/etc/cni/net.d';

const COMPONENTS = {
  apiServer: {
    binary: 'kube-apiserver',
    manifest: 'kube-apiserver.yaml',
    fileFlags: [
      'kubeconfig',
      'encryption-provider-config',
      'audit-policy-file',
      'admission-control-config-file',
      'authorization-config',
      'authentication-config',
    ],
  },
  controllerManager: {
    binary: 'kube-controller-manager',
    manifest: 'kube-controller-manager.yaml',
    fileFlags: ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig', 'config'],
  },
  scheduler: {
    binary: 'kube-scheduler',
    manifest: 'kube-scheduler.yaml',
    fileFlags: ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig', 'config'],
  },
  etcd: { binary: 'etcd', manifest: 'etcd.yaml', fileFlags: ['config-file'] },
} as const;

interface ProcEntry {
  pid: number;
  args: string[];
  /** Basename of argv[0], plus argv[1] for hyperkube (multi-call binary). */
  names: string[];
}

export async function collectHostFacts(opts: HostSensorOptions): Promise<HostFacts> {
  const fsys = new HostFs(opts.hostRoot, opts.maxFileBytes ?? 1024 * 1024);
  const proc = new ProcFs(opts.procRoot);
  const log = opts.log;
  const warnings: string[] = [];
  const maxDir = opts.maxFilesPerDir ?? 512;

  // One pass over procfs for the command lines every section needs.
  const processes = await listProcesses(proc, log, warnings);

  const [
    osRelease,
    kernel,
    securityHardening,
    openPorts,
    kernelVariables,
    kubelet,
    kubeProxy,
    controlPlane,
    cni,
  ] = await Promise.all([
    collectOsRelease(fsys),
    collectKernel(proc),
    collectHardening(fsys),
    collectOpenPorts(proc, log, opts.netNamespacePid ?? '1').catch((e: unknown) => ({
      tcp: [],
      udp: [],
      netNamespacePid: opts.netNamespacePid ?? '1',
      error: errorText(e),
    })),
    collectKernelVariables(proc),
    guard('kubelet', () => collectKubelet(fsys, processes, maxDir), log),
    guard('kube-proxy', () => collectKubeProxy(fsys, processes), log),
    guard('control-plane', () => collectControlPlane(fsys, processes, maxDir), log),
    guard('cni', () => collectCni(fsys, maxDir), log),
  ]);
  return {
    schemaVersion: HOST_FACTS_SCHEMA_VERSION,
    nodeName: opts.nodeName,
    osRelease,
    kernel,
    securityHardening,
    openPorts,
    kernelVariables,
    kubelet,
    kubeProxy,
    controlPlane: controlPlane ?? { error: 'not collected' },
    cni: cni ?? { error: 'not collected' },
    warnings: warnings.sort(),
  };
}

/**
 * Hash of the facts for change detection. PIDs and socket inodes are left out: a restarted kubelet
 * with the same flags and files is not a change host controls care about.
 */
export function factsHash(facts: HostFacts): string {
  const json = JSON.stringify(facts, (key, value: unknown) => {
    if (key === 'pid' || key === 'inode') return undefined;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
      return sorted;
    }
    return value;
  });
  return createHash('sha256').update(json).digest('hex');
}

async function guard<T>(what: string, fn: () => Promise<T>, log: Logger): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (e) {
    // A bug or an unexpected host layout in one section must not cost the whole report.
    log.warn({ err: e, section: what }, 'host facts section failed');
    return { error: errorText(e) };
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function listProcesses(proc: ProcFs, log: Logger, warnings: string[]): Promise<ProcEntry[]> {
  let pids: number[];
  try {
    pids = await proc.pids();
  } catch (e) {
    warnings.push(`cannot list processes in procfs: ${errorText(e)}`);
    return [];
  }
  const out: ProcEntry[] = [];
  for (const pid of pids) {
    const args = await proc.cmdline(pid);
    if (!args || args.length === 0) {
      log.trace({ pid }, 'no command line (kernel thread, exited or unreadable)');
      continue;
    }
    const names = [path.posix.basename(args[0]!)];
    // hyperkube is a multi-call binary: `hyperkube kubelet --flags`. Other argv[1]s are not
    // trusted as names, or `grep kubelet` would be taken for the kubelet.
    if (names[0] === 'hyperkube' && args[1] !== undefined) names.push(args[1]);
    out.push({ pid, args, names });
  }
  return out;
}

function findProcess(processes: ProcEntry[], binary: string): ProcEntry | undefined {
  // argv[0] may be a full path, or (hyperkube, k3s-style multi-call) the binary name comes second.
  return processes.find((p) => p.names.includes(binary));
}

function processFact(p: ProcEntry): ProcessFact {
  return { pid: p.pid, cmdLine: p.args, flags: parseFlags(p.args.slice(1)) };
}

async function collectOsRelease(fsys: HostFs): Promise<HostFacts['osRelease']> {
  let r = await fsys.read('/etc/os-release', 64 * 1024);
  // os-release(5): /etc/os-release takes precedence, /usr/lib/os-release is the fallback.
  if (r.content === undefined) {
    const alt = await fsys.read('/usr/lib/os-release', 64 * 1024);
    if (alt.content !== undefined) r = alt;
  }
  return {
    file: r.info,
    ...(r.content !== undefined ? { raw: r.content } : {}),
    values: parseOsRelease(r.content ?? ''),
  };
}

/** os-release(5) KEY=value lines; values may be single- or double-quoted with backslash escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0])
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

async function collectKernel(proc: ProcFs): Promise<HostFacts['kernel']> {
  const [version, release] = await Promise.all([
    proc.readText('version', 4096),
    proc.readText('sys/kernel/osrelease', 256),
  ]);
  return {
    ...(typeof version === 'string' ? { version: version.trim() } : {}),
    ...(typeof release === 'string' ? { release: release.trim() } : {}),
  };
}

async function collectHardening(fsys: HostFs): Promise<HostFacts['securityHardening']> {
  const enabled = await fsys.read('/sys/module/apparmor/parameters/enabled', 16);
  const appArmor: HostFacts['securityHardening']['appArmor'] = { enabled: enabled.content?.trim() === 'Y' };
  if (appArmor.enabled) {
    // One line per profile: "name (enforce)" / "name (complain)". Readable by root only.
    const profiles = await fsys.read('/sys/kernel/security/apparmor/profiles', 8 * 1024 * 1024);
    if (profiles.content !== undefined) {
      const lines = profiles.content.split('\n').filter((l) => l.trim() !== '');
      appArmor.profiles = lines.length;
      appArmor.enforce = lines.filter((l) => l.endsWith('(enforce)')).length;
      appArmor.complain = lines.filter((l) => l.endsWith('(complain)')).length;
    }
  }
  const enforce = await fsys.read('/sys/fs/selinux/enforce', 16);
  const seLinux: HostFacts['securityHardening']['seLinux'] = {
    mode:
      enforce.content === undefined
        ? 'disabled'
        : enforce.content.trim() === '1'
          ? 'enforcing'
          : 'permissive',
  };
  return { appArmor, seLinux };
}

async function collectKernelVariables(proc: ProcFs): Promise<HostFacts['kernelVariables']> {
  const out: HostFacts['kernelVariables'] = [];
  for (const key of KERNEL_VARIABLES) {
    const rel = `sys/${key.replaceAll('.', '/')}`;
    const v = await proc.readText(rel, 4096);
    // Keys absent on this kernel (e.g. unprivileged_userns_clone outside Debian) are just omitted.
    if (typeof v === 'string') out.push({ key, value: v.trim(), source: `/proc/${rel}` });
  }
  return out;
}

async function readConfigFile(
  fsys: HostFs,
  hostPath: string,
  format: 'yaml' | 'json',
): Promise<ConfigFileFact> {
  const r = await fsys.read(hostPath);
  const out: ConfigFileFact = { ...r.info };
  if (r.truncated) {
    out.truncated = true;
    out.parseError = `larger than ${fsys.maxBytes} bytes; not parsed`;
    return out;
  }
  if (r.content === undefined) return out;
  try {
    // YAML 1.1 as Go's yaml libraries (kubelet, kubeadm) read it: 0644 is octal, yes/no booleans.
    out.content =
      format === 'json'
        ? (JSON.parse(r.content) as unknown)
        : ((await yamlParser())(r.content, { version: '1.1', maxAliasCount: 100 }) as unknown);
  } catch (e) {
    out.parseError = errorText(e).split('\n')[0]!.slice(0, 200);
  }
  return out;
}

let yamlModule: Promise<typeof import('yaml')> | undefined;
/** yaml is loaded on the first YAML file read: a worker node without kubelet config never pays for it. */
async function yamlParser(): Promise<(typeof import('yaml'))['parse']> {
  return (await (yamlModule ??= import('yaml'))).parse;
}

function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

async function collectKubelet(
  fsys: HostFs,
  processes: ProcEntry[],
  maxDir: number,
): Promise<KubeletInfo | null> {
  const p = findProcess(processes, 'kubelet');
  if (!p) return null;
  const process = processFact(p);
  const info: KubeletInfo = { process, serviceFiles: [] };
  const flags = process.flags;
  if (flags.config) info.configFile = await readConfigFile(fsys, flags.config, 'yaml');
  // kubeadm: --kubeconfig=/etc/kubernetes/kubelet.conf; the file holds credentials, so only its
  // metadata is reported.
  if (flags.kubeconfig) info.kubeConfigFile = await fsys.stat(flags.kubeconfig);
  const caFromConfig = get(info.configFile?.content, 'authentication', 'x509', 'clientCAFile');
  const ca = flags['client-ca-file'] ?? (typeof caFromConfig === 'string' ? caFromConfig : undefined);
  if (ca) info.clientCAFile = await fsys.stat(ca);
  for (const f of KUBELET_SERVICE_FILES) {
    const st = await fsys.stat(f);
    if (st.exists) info.serviceFiles.push(st);
  }
  for (const d of KUBELET_DROPIN_DIRS) {
    for (const name of (await fsys.list(d, maxDir)) ?? []) {
      if (name.endsWith('.conf')) info.serviceFiles.push(await fsys.stat(`${d}/${name}`));
    }
  }
  return info;
}

async function collectKubeProxy(fsys: HostFs, processes: ProcEntry[]): Promise<KubeProxyInfo | null> {
  const p = findProcess(processes, 'kube-proxy');
  if (!p) return null;
  const process = processFact(p);
  const info: KubeProxyInfo = { process };
  // kube-proxy usually runs as a DaemonSet pod: its --kubeconfig/--config are paths inside its
  // container (ConfigMap mounts), which may not exist on the host; reported as exists=false then.
  if (process.flags.kubeconfig) info.kubeConfigFile = await fsys.stat(process.flags.kubeconfig);
  if (process.flags.config) info.configFile = await readConfigFile(fsys, process.flags.config, 'yaml');
  return info;
}

/** argv of the first container of a static pod manifest (command + args). */
function manifestCommand(content: unknown): string[] | undefined {
  const containers = get(content, 'spec', 'containers');
  if (!Array.isArray(containers) || containers.length === 0) return undefined;
  const c: unknown = containers[0];
  const strs = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  const argv = [...strs(get(c, 'command')), ...strs(get(c, 'args'))];
  return argv.length ? argv : undefined;
}

async function collectControlPlane(
  fsys: HostFs,
  processes: ProcEntry[],
  maxDir: number,
): Promise<ControlPlaneInfo> {
  const manifests = new Set((await fsys.list(MANIFESTS_DIR, maxDir)) ?? []);
  const component = async (key: keyof typeof COMPONENTS): Promise<ControlPlaneComponent | null> => {
    const def = COMPONENTS[key];
    const proc = findProcess(processes, def.binary);
    const specsFile = manifests.has(def.manifest)
      ? await readConfigFile(fsys, `${MANIFESTS_DIR}/${def.manifest}`, 'yaml')
      : undefined;
    const fromManifest = specsFile ? manifestCommand(specsFile.content) : undefined;
    if (!proc && !fromManifest)
      return specsFile ? { specsFile, cmdLine: [], cmdLineSource: 'manifest', flags: {}, files: {} } : null;
    const cmdLine = proc ? proc.args : fromManifest!;
    const flags = parseFlags(cmdLine.slice(1));
    const files: Record<string, FileInfoFact> = {};
    for (const flag of def.fileFlags) if (flags[flag]) files[flag] = await fsys.stat(flags[flag]);
    return {
      ...(specsFile ? { specsFile } : {}),
      cmdLine,
      cmdLineSource: proc ? 'process' : 'manifest',
      flags,
      ...(proc ? { pid: proc.pid } : {}),
      files,
    };
  };
  const [apiServer, controllerManager, scheduler, etcd] = [
    await component('apiServer'),
    await component('controllerManager'),
    await component('scheduler'),
    await component('etcd'),
  ];
  const info: ControlPlaneInfo = {
    apiServer,
    controllerManager,
    scheduler,
    etcd,
    manifestsDir: await fsys.stat(MANIFESTS_DIR),
    pkiDir: await fsys.stat(PKI_DIR),
    pkiFiles: [],
  };
  // kubeadm's default etcd data dir when the flag is not given.
  const dataDir = etcd?.flags['data-dir'] ?? (etcd ? '/var/lib/etcd' : undefined);
  if (dataDir) info.etcdDataDir = await fsys.stat(dataDir);
  const admin = await fsys.stat('/etc/kubernetes/admin.conf');
  if (admin.exists) info.adminConfigFile = admin;
  if (info.pkiDir.exists) {
    for (const name of (await fsys.list(PKI_DIR, maxDir)) ?? []) {
      const st = await fsys.stat(`${PKI_DIR}/${name}`);
      info.pkiFiles.push(st);
      // One level down: kubeadm keeps etcd's PKI in pki/etcd/.
      if (st.type === 'directory' && info.pkiFiles.length < maxDir) {
        for (const sub of (await fsys.list(`${PKI_DIR}/${name}`, maxDir)) ?? []) {
          info.pkiFiles.push(await fsys.stat(`${PKI_DIR}/${name}/${sub}`));
          if (info.pkiFiles.length >= maxDir) break;
        }
      }
      if (info.pkiFiles.length >= maxDir) break;
    }
  }
  return info;
}

async function collectCni(fsys: HostFs, maxDir: number): Promise<CniInfo> {
  const configDir = await fsys.stat(CNI_DIR);
  const info: CniInfo = { configDir, configFiles: [], names: [] };
  const names = new Set<string>();
  for (const name of (await fsys.list(CNI_DIR, maxDir)) ?? []) {
    // The extensions libcni loads (ConfFiles(dir, [".conf", ".conflist", ".json"])).
    if (!/\.(conf|conflist|json)$/.test(name)) continue;
    const f = await readConfigFile(fsys, `${CNI_DIR}/${name}`, 'json');
    info.configFiles.push(f);
    const c = f.content;
    for (const v of [get(c, 'name'), get(c, 'type')]) if (typeof v === 'string') names.add(v);
    const plugins = get(c, 'plugins');
    if (Array.isArray(plugins))
      for (const pl of plugins) if (typeof get(pl, 'type') === 'string') names.add(get(pl, 'type') as string);
  }
  info.names = [...names].sort();
  return info;
}
