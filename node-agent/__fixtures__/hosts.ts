/**
 * Builds fixture host roots at test time: git keeps neither file modes nor ownership, and the
 * host controls are all about them, so the trees under control-plane/ and worker/ are copied to a
 * temp dir and given the modes, owners and symlinks a kubeadm node has. A synthetic procfs with the
 * node's processes (kubelet, kube-proxy, control-plane components) and a listening socket goes
 * next to it.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The fixture trees are not compiled: from dist/node-agent/__fixtures__ (bench) use the sources'. */
const TREES = existsSync(path.join(HERE, 'worker'))
  ? HERE
  : path.join(HERE, '..', '..', '..', 'node-agent', '__fixtures__');

type Entry = { path: string; mode: number; uid?: number; gid?: number };

/** kubeadm defaults plus a few deliberate weaknesses the tests look for. */
const MODES: Record<'control-plane' | 'worker', Entry[]> = {
  'control-plane': [
    { path: '/etc/kubernetes/manifests/kube-apiserver.yaml', mode: 0o600 },
    { path: '/etc/kubernetes/manifests/kube-controller-manager.yaml', mode: 0o600 },
    { path: '/etc/kubernetes/manifests/kube-scheduler.yaml', mode: 0o600 },
    // Too open: CIS 1.1.7 wants 600 or stricter.
    { path: '/etc/kubernetes/manifests/etcd.yaml', mode: 0o644 },
    { path: '/etc/kubernetes/pki/ca.key', mode: 0o600 },
    { path: '/etc/kubernetes/pki/apiserver.key', mode: 0o600 },
    { path: '/etc/kubernetes/pki/sa.key', mode: 0o600 },
    // Too open on purpose.
    { path: '/etc/kubernetes/pki/etcd/server.key', mode: 0o644 },
    { path: '/etc/kubernetes/pki/etcd/ca.key', mode: 0o600 },
    { path: '/etc/kubernetes/pki/ca.crt', mode: 0o644 },
    { path: '/etc/kubernetes/kubelet.conf', mode: 0o600 },
    { path: '/etc/kubernetes/admin.conf', mode: 0o600 },
    { path: '/etc/kubernetes/controller-manager.conf', mode: 0o600 },
    { path: '/etc/kubernetes/scheduler.conf', mode: 0o640 },
    { path: '/var/lib/kubelet/config.yaml', mode: 0o644 },
    { path: '/var/lib/etcd', mode: 0o700, uid: 998, gid: 998 },
    { path: '/etc/cni/net.d/10-calico.conflist', mode: 0o600 },
  ],
  worker: [
    // Too open: world-readable kubeconfig with credentials.
    { path: '/etc/kubernetes/kubelet.conf', mode: 0o644, uid: 1000, gid: 1000 },
    { path: '/etc/kubernetes/pki/ca.crt', mode: 0o644 },
    { path: '/var/lib/kubelet/config.yaml', mode: 0o600 },
    { path: '/etc/cni/net.d/10-flannel.conflist', mode: 0o644 },
  ],
};

export interface FixtureProcess {
  pid: number;
  argv: string[];
  comm?: string;
  /** fd number → link target (e.g. `socket:[1234]`, `/etc/passwd`). */
  fds?: Record<string, string>;
  cgroup?: string;
  maps?: string;
  exe?: string;
}

export interface FixtureHost {
  root: string;
  proc: string;
}

const KUBELET_ARGV = [
  '/usr/bin/kubelet',
  '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
  '--kubeconfig=/etc/kubernetes/kubelet.conf',
  '--config=/var/lib/kubelet/config.yaml',
  '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
  '--node-ip',
  '192.168.49.2',
];

export const FIXTURE_PROCESSES: Record<'control-plane' | 'worker', FixtureProcess[]> = {
  'control-plane': [
    { pid: 1, argv: ['/sbin/init'], comm: 'systemd' },
    { pid: 812, argv: KUBELET_ARGV, comm: 'kubelet', fds: { '0': '/dev/null', '12': 'socket:[40001]' } },
    // Running apiserver: its live flags win over the manifest's (here one flag differs).
    {
      pid: 1301,
      argv: [
        'kube-apiserver',
        '--advertise-address=192.168.49.2',
        '--anonymous-auth=true',
        '--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml',
        '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
      ],
      comm: 'kube-apiserver',
      fds: { '7': 'socket:[40002]' },
    },
    {
      pid: 1402,
      argv: [
        '/usr/local/bin/kube-proxy',
        '--config=/var/lib/kube-proxy/config.conf',
        '--hostname-override=cp-1',
      ],
      comm: 'kube-proxy',
    },
    // A process that merely mentions kubelet must not be taken for it.
    { pid: 2000, argv: ['grep', 'kubelet'], comm: 'grep' },
  ],
  worker: [
    { pid: 1, argv: ['/sbin/init'], comm: 'systemd' },
    {
      pid: 640,
      argv: [
        '/opt/bin/kubelet',
        '--kubeconfig',
        '/etc/kubernetes/kubelet.conf',
        '--config',
        '/var/lib/kubelet/config.yaml',
        '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      ],
      comm: 'kubelet',
      fds: { '5': 'socket:[50001]' },
    },
  ],
};

/** TCP: 0.0.0.0:10250 LISTEN (kubelet, inode 40001), 127.0.0.1:6443 LISTEN (apiserver, 40002), one ESTABLISHED. */
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:280A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:192B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40002 1 0000000000000000 100 0 0 10 0
   2: 0100007F:192B 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 40003 1 0000000000000000 20 4 30 10 -1
   garbage line
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:280A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50001 1 0000000000000000 100 0 0 10 0
`;
/** UDP: 0.0.0.0:8472 (flannel VXLAN, no owner in the fixture). */
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:2118 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 40010 2 0000000000000000 0
`;

async function copyTree(src: string, dst: string): Promise<void> {
  await fs.cp(src, dst, { recursive: true });
}

export async function writeProcfs(
  proc: string,
  processes: FixtureProcess[],
  opts: { tcp?: string; tcp6?: string; udp?: string } = {},
): Promise<void> {
  await fs.mkdir(path.join(proc, 'sys/kernel/yama'), { recursive: true });
  await fs.mkdir(path.join(proc, 'sys/vm'), { recursive: true });
  await fs.mkdir(path.join(proc, 'sys/fs'), { recursive: true });
  await fs.writeFile(
    path.join(proc, 'version'),
    'Linux version 5.15.0-105-generic (buildd@lcy02-amd64-054) (gcc 11.4.0) #115-Ubuntu SMP\n',
  );
  await fs.writeFile(path.join(proc, 'sys/kernel/osrelease'), '5.15.0-105-generic\n');
  await fs.writeFile(path.join(proc, 'sys/kernel/randomize_va_space'), '2\n');
  await fs.writeFile(path.join(proc, 'sys/kernel/yama/ptrace_scope'), '1\n');
  await fs.writeFile(path.join(proc, 'sys/kernel/panic'), '10\n');
  await fs.writeFile(path.join(proc, 'sys/vm/overcommit_memory'), '1\n');
  await fs.writeFile(path.join(proc, 'sys/fs/protected_symlinks'), '1\n');
  for (const p of processes) {
    const dir = path.join(proc, String(p.pid));
    await fs.mkdir(path.join(dir, 'fd'), { recursive: true });
    await fs.writeFile(path.join(dir, 'cmdline'), p.argv.join('\0') + '\0');
    await fs.writeFile(path.join(dir, 'comm'), (p.comm ?? path.basename(p.argv[0]!)) + '\n');
    await fs.writeFile(path.join(dir, 'cgroup'), p.cgroup ?? '0::/system.slice/x.service\n');
    if (p.maps !== undefined) await fs.writeFile(path.join(dir, 'maps'), p.maps);
    if (p.exe !== undefined) await fs.symlink(p.exe, path.join(dir, 'exe'));
    for (const [fd, target] of Object.entries(p.fds ?? {}))
      await fs.symlink(target, path.join(dir, 'fd', fd));
  }
  const net = path.join(proc, '1', 'net');
  await fs.mkdir(net, { recursive: true });
  await fs.writeFile(path.join(net, 'tcp'), opts.tcp ?? TCP);
  await fs.writeFile(path.join(net, 'tcp6'), opts.tcp6 ?? TCP6);
  await fs.writeFile(path.join(net, 'udp'), opts.udp ?? UDP);
  // udp6 missing: as on a host with IPv6 disabled.
}

export async function buildFixtureHost(kind: 'control-plane' | 'worker', tmp: string): Promise<FixtureHost> {
  const root = path.join(tmp, kind, 'root');
  const proc = path.join(tmp, kind, 'proc');
  await copyTree(path.join(TREES, kind), root);
  for (const e of MODES[kind]) {
    const p = path.join(root, e.path);
    await fs.chmod(p, e.mode);
    // Ownership needs root (CAP_CHOWN); the agent runs as root, and so do these tests in CI.
    if (e.uid !== undefined) await fs.chown(p, e.uid, e.gid ?? e.uid).catch(() => undefined);
  }
  // /etc/os-release is a relative symlink on most distributions.
  await fs.mkdir(path.join(root, 'usr/lib'), { recursive: true });
  await fs.rename(path.join(root, 'etc/os-release'), path.join(root, 'usr/lib/os-release'));
  await fs.symlink('../usr/lib/os-release', path.join(root, 'etc/os-release'));
  if (kind === 'control-plane') {
    // Hostile links: an absolute one and one climbing with ../ — both must stay inside the root.
    await fs.symlink('/etc/kubernetes/pki/ca.crt', path.join(root, 'etc/kubernetes/pki/ca-link.crt'));
    await fs.symlink(
      '../../../../../../../../../../etc/hostname',
      path.join(root, 'etc/kubernetes/pki/escape.key'),
    );
    await fs.symlink('loop-b', path.join(root, 'etc/kubernetes/pki/loop-a'));
    await fs.symlink('loop-a', path.join(root, 'etc/kubernetes/pki/loop-b'));
    // kube-proxy's config lives in its container, not on the host.
  }
  await writeProcfs(proc, FIXTURE_PROCESSES[kind]);
  return { root, proc };
}
