import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildFixtureHost, type FixtureHost } from '../__fixtures__/hosts.js';
import { collectHostFacts, factsHash, parseOsRelease } from './collect.js';
import { HostFactsSchema, type ControlPlaneInfo, type HostFacts, type KubeletInfo } from './facts.js';
import { HostFs } from './hostfs.js';
import { collectOpenPorts, decodeAddress, parseNetTable } from './ports.js';
import { ProcFs } from '../procfs.js';

const log = pino({ level: 'silent' });
let tmp: string;
let cp: FixtureHost;
let worker: FixtureHost;
let cpFacts: HostFacts;
let workerFacts: HostFacts;
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-host-'));
  cp = await buildFixtureHost('control-plane', tmp);
  worker = await buildFixtureHost('worker', tmp);
  cpFacts = await collectHostFacts({ nodeName: 'cp-1', hostRoot: cp.root, procRoot: cp.proc, log });
  workerFacts = await collectHostFacts({
    nodeName: 'worker-1',
    hostRoot: worker.root,
    procRoot: worker.proc,
    log,
  });
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const file = <T extends { path: string }>(files: T[], p: string): T | undefined =>
  files.find((f) => f.path === p);

describe('host facts on a kubeadm-like control-plane fixture', () => {
  it('validates against the published schema', () => {
    expect(HostFactsSchema.safeParse(cpFacts).success).toBe(true);
    expect(HostFactsSchema.safeParse(workerFacts).success).toBe(true);
  });

  it('reads os-release through its relative symlink and parses it', () => {
    expect(cpFacts.osRelease.values.ID).toBe('ubuntu');
    expect(cpFacts.osRelease.values.PRETTY_NAME).toBe('Ubuntu 22.04.4 LTS');
    expect(cpFacts.osRelease.file.realPath).toBe('/usr/lib/os-release');
    expect(workerFacts.osRelease.values.PRETTY_NAME).toBe(
      'Flatcar Container Linux by Kinvolk 3815.2.5 (Oklo)',
    );
  });

  it('reports kernel version, release and the documented kernel variables present', () => {
    expect(cpFacts.kernel.release).toBe('5.15.0-105-generic');
    expect(cpFacts.kernel.version).toMatch(/^Linux version 5\.15\.0/);
    const vars = Object.fromEntries(cpFacts.kernelVariables.map((v) => [v.key, v.value]));
    expect(vars).toMatchObject({
      'kernel.randomize_va_space': '2',
      'kernel.yama.ptrace_scope': '1',
      'kernel.panic': '10',
      'vm.overcommit_memory': '1',
    });
    expect(vars['kernel.kptr_restrict']).toBeUndefined(); // absent from the fixture: omitted, not invented
    expect(cpFacts.kernelVariables.find((v) => v.key === 'kernel.panic')?.source).toBe(
      '/proc/sys/kernel/panic',
    );
  });

  it('reports AppArmor with profile counts and SELinux modes', () => {
    expect(cpFacts.securityHardening.appArmor).toEqual({
      enabled: true,
      profiles: 3,
      enforce: 2,
      complain: 1,
    });
    expect(cpFacts.securityHardening.seLinux.mode).toBe('disabled');
    expect(workerFacts.securityHardening.appArmor.enabled).toBe(false);
    expect(workerFacts.securityHardening.seLinux.mode).toBe('enforcing');
  });

  it('finds the kubelet by command line (not `grep kubelet`), its config, kubeconfig and client CA', () => {
    const k = cpFacts.kubelet as KubeletInfo;
    expect(k.process.pid).toBe(812);
    expect(k.process.flags.config).toBe('/var/lib/kubelet/config.yaml');
    expect(k.process.flags['node-ip']).toBe('192.168.49.2');
    expect(k.configFile?.content).toMatchObject({
      readOnlyPort: 0,
      authentication: { anonymous: { enabled: false } },
    });
    expect(k.configFile?.mode).toBe('0644');
    expect(k.kubeConfigFile).toMatchObject({
      path: '/etc/kubernetes/kubelet.conf',
      exists: true,
      permissions: 0o600,
      mode: '0600',
    });
    // Client CA from the config file (no flag on this node).
    expect(k.clientCAFile).toMatchObject({ path: '/etc/kubernetes/pki/ca.crt', exists: true, mode: '0644' });
    expect(k.serviceFiles.map((f) => f.path)).toEqual([
      '/lib/systemd/system/kubelet.service',
      '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
    ]);
  });

  it('parses space-separated flags and takes the client CA from the flag on the worker', () => {
    const k = workerFacts.kubelet as KubeletInfo;
    expect(k.process.flags).toMatchObject({
      kubeconfig: '/etc/kubernetes/kubelet.conf',
      config: '/var/lib/kubelet/config.yaml',
    });
    expect(k.kubeConfigFile?.mode).toBe('0644');
    if (isRoot) expect(k.kubeConfigFile?.ownership).toEqual({ uid: 1000, gid: 1000 });
    expect(k.configFile?.content).toMatchObject({
      readOnlyPort: 10255,
      authorization: { mode: 'AlwaysAllow' },
    });
  });

  it('reports kube-proxy with its container-only config path as missing on the host', () => {
    expect(cpFacts.kubeProxy).toMatchObject({
      process: { pid: 1402, flags: { config: '/var/lib/kube-proxy/config.conf' } },
      configFile: { exists: false },
    });
    expect(workerFacts.kubeProxy).toBeNull();
  });

  it('reads static pod manifests; a running process wins over its manifest', () => {
    const c = cpFacts.controlPlane as ControlPlaneInfo;
    expect(c.apiServer?.cmdLineSource).toBe('process');
    expect(c.apiServer?.flags['anonymous-auth']).toBe('true');
    expect(c.apiServer?.specsFile?.mode).toBe('0600');
    expect(c.apiServer?.files['audit-policy-file']).toMatchObject({ exists: true });
    expect(c.apiServer?.files['encryption-provider-config']).toMatchObject({ exists: false });
    expect(c.controllerManager?.cmdLineSource).toBe('manifest');
    expect(c.controllerManager?.flags.profiling).toBe('false');
    expect(c.controllerManager?.files.kubeconfig).toMatchObject({ exists: true, mode: '0600' });
    // command + args are joined.
    expect(c.scheduler?.cmdLine).toEqual([
      'kube-scheduler',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--profiling=false',
    ]);
    expect(c.scheduler?.files.kubeconfig?.mode).toBe('0640');
    expect(c.etcd?.specsFile?.mode).toBe('0644');
    expect(c.etcdDataDir).toMatchObject({ path: '/var/lib/etcd', type: 'directory', mode: '0700' });
    if (isRoot)
      expect(c.etcdDataDir?.ownership).toEqual({ uid: 998, gid: 998, username: 'etcd', groupname: 'etcd' });
    expect(c.adminConfigFile?.mode).toBe('0600');
  });

  it('lists PKI files with modes, one level of subdirectories, and keeps symlinks inside the host root', () => {
    const c = cpFacts.controlPlane as ControlPlaneInfo;
    expect(file(c.pkiFiles, '/etc/kubernetes/pki/ca.key')?.mode).toBe('0600');
    expect(file(c.pkiFiles, '/etc/kubernetes/pki/etcd/server.key')?.mode).toBe('0644');
    expect(file(c.pkiFiles, '/etc/kubernetes/pki/etcd')?.type).toBe('directory');
    // Absolute symlink resolved inside the fixture root.
    expect(file(c.pkiFiles, '/etc/kubernetes/pki/ca-link.crt')).toMatchObject({
      exists: true,
      realPath: '/etc/kubernetes/pki/ca.crt',
    });
    // ../../.. cannot climb out of the root: /etc/hostname of the fixture (absent) not of this machine.
    expect(file(c.pkiFiles, '/etc/kubernetes/pki/escape.key')).toMatchObject({
      exists: true,
      type: 'symlink',
      error: 'dangling or looping symlink',
    });
    expect(file(c.pkiFiles, '/etc/kubernetes/pki/loop-a')).toMatchObject({ type: 'symlink' });
    expect(c.pkiFiles.map((f) => f.path)).toEqual([...c.pkiFiles.map((f) => f.path)].sort());
  });

  it('reads CNI configs: names from networks and plugins, parse errors reported, other files ignored', () => {
    const cni = cpFacts.cni as Exclude<HostFacts['cni'], { error: string }> & { names: string[] };
    expect(cni.names).toEqual(['calico', 'k8s-pod-network', 'portmap']);
    expect(cni.configFiles.map((f) => f.path)).toEqual([
      '/etc/cni/net.d/10-calico.conflist',
      '/etc/cni/net.d/99-broken.conf',
    ]);
    expect(cni.configFiles[0]).toMatchObject({ mode: '0600' });
    expect(cni.configFiles[1]?.parseError).toBeTruthy();
    expect((workerFacts.cni as { names: string[] }).names).toEqual(['cbr0', 'flannel', 'portmap']);
  });

  it('reports listening sockets from /proc/1/net with their owning processes', () => {
    const tcp = cpFacts.openPorts.tcp;
    // Sorted by port, then transport; the ESTABLISHED socket and the garbage line are left out.
    expect(tcp.map((p) => `${p.transport} ${p.localAddress}:${p.localPort}`)).toEqual([
      'tcp 127.0.0.1:6443',
      'tcp 0.0.0.0:10250',
      'tcp6 :::10250',
    ]);
    expect(tcp.find((p) => p.localPort === 10250)).toMatchObject({ pid: 812, name: 'kubelet' });
    expect(tcp.find((p) => p.localPort === 6443)).toMatchObject({ pid: 1301, name: 'kube-apiserver' });
    expect(cpFacts.openPorts.udp).toEqual([
      expect.objectContaining({ localPort: 8472, localAddress: '0.0.0.0' }),
    ]);
    expect(cpFacts.openPorts.udp[0]?.pid).toBeUndefined();
    // tcp6 on the worker: [::]:10250 owned by its kubelet.
    expect(workerFacts.openPorts.tcp.find((p) => p.transport === 'tcp6')).toMatchObject({
      localAddress: '::',
      localPort: 10250,
      pid: 640,
    });
    expect(cpFacts.openPorts.error).toBeUndefined(); // udp6 missing (IPv6 off) is not an error
  });

  it('hashes facts stably, ignoring PIDs, and changes when a file mode changes', async () => {
    const again = await collectHostFacts({ nodeName: 'cp-1', hostRoot: cp.root, procRoot: cp.proc, log });
    expect(factsHash(again)).toBe(factsHash(cpFacts));
    const moved = structuredClone(again);
    (moved.kubelet as KubeletInfo).process.pid = 4242;
    expect(factsHash(moved)).toBe(factsHash(cpFacts));
    await fs.chmod(path.join(cp.root, 'etc/kubernetes/pki/ca.key'), 0o644);
    const changed = await collectHostFacts({ nodeName: 'cp-1', hostRoot: cp.root, procRoot: cp.proc, log });
    expect(factsHash(changed)).not.toBe(factsHash(cpFacts));
    await fs.chmod(path.join(cp.root, 'etc/kubernetes/pki/ca.key'), 0o600);
  });

  it('survives a host root and procfs that are missing entirely', async () => {
    const facts = await collectHostFacts({
      nodeName: 'x',
      hostRoot: path.join(tmp, 'nope'),
      procRoot: path.join(tmp, 'nope-proc'),
      log,
    });
    expect(HostFactsSchema.safeParse(facts).success).toBe(true);
    expect(facts.kubelet).toBeNull();
    expect(facts.osRelease.file.exists).toBe(false);
    expect(facts.warnings.length).toBeGreaterThan(0);
  });
});

describe('HostFs', () => {
  it('bounds reads, refuses FIFOs and reads nothing outside the root', async () => {
    const root = path.join(tmp, 'hostfs');
    await fs.mkdir(path.join(root, 'etc'), { recursive: true });
    await fs.writeFile(path.join(root, 'etc/big'), 'x'.repeat(5000));
    await fs.symlink('/etc/passwd', path.join(root, 'etc/abs-link')); // the root's passwd, not ours
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(root, 'etc/fifo')]);
    const h = new HostFs(root, 1000);
    const big = await h.read('/etc/big');
    expect(big.content?.length).toBe(1000);
    expect(big.truncated).toBe(true);
    const fifo = await h.read('/etc/fifo');
    expect(fifo.content).toBeUndefined();
    expect(fifo.info.type).toBe('other');
    expect((await h.read('/etc/abs-link')).content).toBeUndefined();
    expect((await h.read('/../../../etc/passwd')).info.exists).toBe(false);
  });
});

describe('os-release and /proc/net parsing', () => {
  it('parses quoting and escapes', () => {
    expect(parseOsRelease('A="x \\"y\\""\nB=\'z\'\nC=plain\n# comment\nbad line')).toEqual({
      A: 'x "y"',
      B: 'z',
      C: 'plain',
    });
  });
  it('decodes IPv4, IPv6 and v4-mapped addresses', () => {
    expect(decodeAddress('0100007F:1F90')).toEqual({ address: '127.0.0.1', port: 8080 });
    expect(decodeAddress('00000000000000000000000001000000:0016')).toEqual({ address: '::1', port: 22 });
    expect(decodeAddress('0000000000000000FFFF00000100007F:0050')).toEqual({
      address: '::ffff:127.0.0.1',
      port: 80,
    });
    expect(decodeAddress('B80D0120000000000000000001000000:01BB')).toEqual({
      address: '2001:db8::1',
      port: 443,
    });
    expect(decodeAddress('zz:1')).toBeUndefined();
  });
  it('skips malformed table lines', () => {
    expect(
      parseNetTable(
        'header\n  0: nonsense\n   1: 0100007F:0050 00000000:0000 0A 0:0 0:0 0 0 0 77 1\n',
        'tcp',
      ),
    ).toHaveLength(1);
  });
});

describe('open ports on this machine', () => {
  it('finds a TCP listener started by the test, with this process as owner', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // `self`: the test shares its network namespace with itself, whatever PID 1 is here.
      const ports = await collectOpenPorts(new ProcFs('/proc'), log, 'self');
      const mine = ports.tcp.find((p) => p.localPort === port);
      expect(mine).toMatchObject({ transport: 'tcp', localAddress: '127.0.0.1', pid: process.pid });
      expect(mine?.cmdLine?.length).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
