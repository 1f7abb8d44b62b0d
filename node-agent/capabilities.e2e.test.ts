/**
 * The deployment's privilege model, for real: `kscape node-agent --once --print` (the built CLI,
 * dist/cli/main.js) run as uid 65532 by a copy of node carrying file capabilities — what the image and the
 * DaemonSet do (Dockerfile, knative/base/kscape/node-agent/daemonset.yaml) — against a root-owned
 * process that runs in a container cgroup, maps a known executable and holds a known file open
 * in a directory only root may enter.
 *
 * With CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH the snapshot has every file of the process's real
 * maps (read by this root test as the oracle) and the held file, and the agent writes nothing
 * (strace); started the way runc starts a non-root container with capabilities.add and
 * allowPrivilegeEscalation: false, the same. Controls, each also asserting the start-up warning:
 * plain node (nothing of that process), SYS_PTRACE only (maps yes, open files no),
 * DAC_READ_SEARCH only (nothing), no_new_privs under a starter that does not hold the capabilities
 * (they are not granted), and a bounding set without SYS_PTRACE (execve fails: why the DaemonSet
 * must add both).
 *
 * Needs root, setcap, setpriv and strace, and a filesystem that keeps file capabilities. Missing
 * any, the suite skips with the reason; under CI=true it fails instead (.ci/run installs them).
 * The process is moved into a real `cri-containerd-<id>.scope` cgroup when a writable cgroup v2
 * hierarchy exists (HOST_PROC is the real /proc); otherwise it is mirrored into a synthetic procfs
 * whose maps and fd entries are symlinks to the live ones, so the kernel's checks still apply.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, CLI } from '../test/support/build.js';
import type { NodeAgentSnapshot } from './agent.js';
import { forEachMappedFile } from './relevancy/collector.js';

const strict = process.env.CI === 'true';
const AGENT_UID = 65532;
const CID = 'e2e0'.repeat(16);
const BOTH = 'cap_sys_ptrace,cap_dac_read_search=ep';

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fsSync.accessSync(p, fsSync.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

const tools = { setcap: which('setcap'), setpriv: which('setpriv'), strace: which('strace') };

/** Why this machine cannot run the suite, or undefined. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.geteuid?.() !== 0) return 'not running as root (needed for setcap and to switch to uid 65532)';
  for (const [name, p] of Object.entries(tools)) if (!p) return `${name} not found`;
  return undefined;
}
const reason = unavailable();

let tmp: string;
let bin: string;
let holder: ChildProcess | undefined;
let procRoot = '/proc';
let cgroupDirs: string[] = [];
let placement = '';
let heldFile: string;
let heldExe: string;
/** Files of the held process's maps as root reads them: what the agent must report. */
let oracleMaps: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  logs: { level: number | string; msg: string; capability?: string; hint?: string }[];
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd: '/',
        // No cluster; HOME/TMPDIR are a root-owned directory uid 65532 cannot write to.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: path.join(tmp, 'home'),
          TMPDIR: path.join(tmp, 'home'),
          LOG_LEVEL: 'info',
          NODE_NAME: 'e2e-node',
          HOST_ROOT: '/',
          HOST_PROC: procRoot,
          // The compiled modules, not the esbuild bundle: cli.test.ts rebuilds the bundle (rm, then
          // write) in a parallel worker. Privileges do not depend on how the code is packaged
          // (bench/privileges.ts runs the bundle with them).
          KSCAPE_NODE_AGENT_BUNDLE: 'off',
        },
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const logs: Run['logs'] = [];
        for (const line of stderr.split('\n'))
          if (line.startsWith('{')) {
            try {
              logs.push(JSON.parse(line) as Run['logs'][number]);
            } catch {
              // not a log line
            }
          }
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, logs });
      },
    );
  });
}

/**
 * `kscape node-agent --once --print` as uid 65532 through `node`: setpriv [setprivExtra] [inner...]
 * node CLI, the whole optionally under `wrap` (strace).
 */
function agent(
  node: string,
  setprivExtra: string[] = [],
  wrap: string[] = [],
  inner: string[] = [],
): Promise<Run> {
  const setpriv = [
    tools.setpriv!,
    `--reuid=${AGENT_UID}`,
    `--regid=${AGENT_UID}`,
    '--clear-groups',
    ...setprivExtra,
    ...inner,
    node,
    CLI,
    'node-agent',
    '--once',
    '--print',
  ];
  return wrap.length ? run(wrap[0]!, [...wrap.slice(1), ...setpriv]) : run(setpriv[0]!, setpriv.slice(1));
}

function containerFiles(r: Run): string[] | undefined {
  expect(r.code, r.stderr).toBe(0);
  const snap = JSON.parse(r.stdout) as NodeAgentSnapshot;
  return snap.relevancy?.containers.find((c) => c.containerId === CID)?.files;
}

function warnings(r: Run): string[] {
  return r.logs
    .filter((l) => (l.level === 'warn' || l.level === 40) && l.msg.startsWith('missing capability'))
    .map((l) => String(l.capability));
}

function copyNode(name: string, caps?: string): string {
  const p = path.join(bin, name);
  fsSync.copyFileSync(process.execPath, p);
  fsSync.chmodSync(p, 0o755);
  if (caps) execFileSync(tools.setcap!, [caps, p], { stdio: 'pipe' });
  return p;
}

/** A writable cgroup v2 hierarchy (pure v2 or the hybrid `unified` one). */
function cgroup2Mount(): string | undefined {
  for (const line of fsSync.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post?.startsWith('cgroup2 ')) return pre!.split(' ')[4];
  }
  return undefined;
}

async function place(pid: number): Promise<void> {
  const mnt = cgroup2Mount();
  if (mnt) {
    const parent = path.join(mnt, `kscape-e2e-${process.pid}`);
    const leaf = path.join(parent, `cri-containerd-${CID}.scope`);
    try {
      await fs.mkdir(leaf, { recursive: true });
      cgroupDirs = [leaf, parent];
      await fs.writeFile(path.join(leaf, 'cgroup.procs'), String(pid));
      if ((await fs.readFile(`/proc/${pid}/cgroup`, 'utf8')).includes(CID)) {
        placement = `real cgroup ${leaf}`;
        return;
      }
    } catch {
      // read-only cgroupfs (e.g. inside a container): mirror instead
    }
  }
  procRoot = path.join(tmp, 'proc');
  const dir = path.join(procRoot, String(pid));
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, 'cgroup'),
    `0::/kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/${CID}\n`,
  );
  await fs.symlink(`/proc/${pid}/maps`, path.join(dir, 'maps'));
  await fs.symlink(`/proc/${pid}/fd`, path.join(dir, 'fd'));
  await fs.symlink(`/proc/${pid}/exe`, path.join(dir, 'exe'));
  placement = `synthetic procfs ${procRoot} linked to /proc/${pid}`;
}

beforeAll(async () => {
  if (reason) return;
  buildOnce();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-caps-e2e-'));
  await fs.chmod(tmp, 0o755);
  bin = path.join(tmp, 'bin');
  await fs.mkdir(bin, { mode: 0o755 });
  await fs.mkdir(path.join(tmp, 'home'), { mode: 0o755 });
  const priv = path.join(tmp, 'private');
  await fs.mkdir(priv, { mode: 0o700 });
  heldFile = path.join(priv, 'held by root.txt');
  await fs.writeFile(heldFile, 'in use', { mode: 0o600 });
  heldExe = copyNode('held-node');
  holder = spawn(
    heldExe,
    [
      '-e',
      `globalThis.fd=require('fs').openSync(${JSON.stringify(heldFile)},'r');process.stdout.write('ready\\n');setInterval(()=>{},1e6);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.once('data', () => resolve());
    holder!.once('error', reject);
  });
  await place(holder.pid!);
  const seen = new Set<string>();
  forEachMappedFile(await fs.readFile(`/proc/${holder.pid}/maps`, 'utf8'), (p) => seen.add(p));
  oracleMaps = [...seen].sort();
}, 300_000);

afterAll(async () => {
  if (holder && holder.exitCode === null) {
    const exited = new Promise((r) => holder!.once('exit', r));
    holder.kill('SIGKILL');
    await exited;
  }
  for (const d of cgroupDirs) await fs.rmdir(d).catch(() => undefined);
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe.skipIf(reason !== undefined && !strict)(
  'node agent as uid 65532 with file capabilities (real processes)',
  () => {
    it('has what it needs: root, setcap, setpriv, strace, file capabilities that take effect', () => {
      expect(reason, `${reason} (CI=true: the capability tests must run)`).toBeUndefined();
      const probe = copyNode('probe', BOTH);
      const eff = execFileSync(
        tools.setpriv!,
        [
          `--reuid=${AGENT_UID}`,
          `--regid=${AGENT_UID}`,
          '--clear-groups',
          probe,
          '-p',
          "/CapEff:\\s*(\\w+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1]",
        ],
        { encoding: 'utf8' },
      ).trim();
      expect(BigInt(`0x${eff}`), 'file capabilities did not take effect on this filesystem').toBe(0x80004n);
      expect(oracleMaps).toContain(heldExe);
      expect(oracleMaps.length).toBeGreaterThan(1);
    });

    it('with SYS_PTRACE + DAC_READ_SEARCH: every mapped file and the held file, no warning, no write', async () => {
      const node = copyNode('node-agent-node', BOTH);
      const trace = path.join(tmp, 'strace.log');
      const r = await agent(
        node,
        [],
        [
          tools.strace!,
          '-f',
          '-qq',
          '-o',
          trace,
          '-e',
          'trace=open,openat,openat2,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,truncate,link,linkat,symlink,symlinkat,chmod,fchmodat,chown,fchownat',
        ],
      );
      const files = containerFiles(r);
      expect(files, `${placement}\n${r.stderr}`).toBeDefined();
      for (const f of oracleMaps) expect(files, f).toContain(f);
      expect(files).toContain(heldFile);
      expect(warnings(r)).toEqual([]);
      const snap = JSON.parse(r.stdout) as NodeAgentSnapshot;
      // The host sensor ran as uid 65532 too (the synthetic procfs has no kernel files).
      if (procRoot === '/proc') expect(snap.host?.kernel.release).toBe(os.release());
      else expect(snap.host).not.toBeNull();
      // readOnlyRootFilesystem: nothing opened for writing, created, removed or changed.
      const traced = (await fs.readFile(trace, 'utf8')).split('\n');
      // The trace saw the agent (not vacuous): its CLI and the held process's maps were opened.
      expect(traced.some((l) => l.includes(`"${CLI}"`) && l.includes('O_RDONLY'))).toBe(true);
      expect(traced.some((l) => l.includes(`/${holder!.pid}/maps"`))).toBe(true);
      const writes = traced
        .filter((l) =>
          /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|\b(creat|mkdir|mkdirat|unlink|unlinkat|rename|renameat2?|truncate|link|linkat|symlink|symlinkat|chmod|fchmodat|chown|fchownat)\(/.test(
            l,
          ),
        )
        .filter((l) => !/"\/dev\/(null|tty)"/.test(l));
      expect(writes).toEqual([]);
    });

    it('with plain node: nothing of the root process, and both capabilities named as missing', async () => {
      const r = await agent(process.execPath);
      const files = containerFiles(r) ?? [];
      for (const f of oracleMaps) expect(files).not.toContain(f);
      expect(files).not.toContain(heldFile);
      expect(warnings(r)).toEqual(['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH']);
      const w = r.logs.find((l) => l.capability === 'CAP_SYS_PTRACE')!;
      expect(w.msg).toMatch(/memory-mapped files .* are skipped/);
      expect(w.hint).toContain(`${process.execPath} carries no file capability`);
      // A log line, not a stack trace.
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    });

    it('with SYS_PTRACE only: mapped files yes, open files no (the fd table needs DAC_READ_SEARCH)', async () => {
      const r = await agent(copyNode('node-ptrace', 'cap_sys_ptrace=ep'));
      const files = containerFiles(r);
      for (const f of oracleMaps) expect(files, f).toContain(f);
      expect(files).not.toContain(heldFile);
      expect(warnings(r)).toEqual(['CAP_DAC_READ_SEARCH']);
    });

    it('with DAC_READ_SEARCH only: nothing (exe, maps and fd links need SYS_PTRACE)', async () => {
      const r = await agent(copyNode('node-dac', 'cap_dac_read_search=ep'));
      const files = containerFiles(r) ?? [];
      for (const f of oracleMaps) expect(files).not.toContain(f);
      expect(files).not.toContain(heldFile);
      expect(warnings(r)).toEqual(['CAP_SYS_PTRACE']);
    });

    it('started as the container runtime starts it (allowPrivilegeEscalation: false): the file capabilities take effect', async () => {
      // runc, for a non-root container with capabilities.add, execs the entrypoint as that uid with
      // the added capabilities in its permitted and bounding sets (no inheritable or ambient ones)
      // and, for allowPrivilegeEscalation: false, no_new_privs. Reproduced: an outer setpriv gives
      // an inner one exactly those permitted capabilities (through ambient, then cleared), the inner
      // one sets no_new_privs and execs the agent. no_new_privs only forbids GAINING capabilities
      // on execve: the file capabilities are all in the permitted set already, so they are kept.
      const node = copyNode('node-runc', BOTH);
      const two = 'sys_ptrace,+dac_read_search';
      const r = await agent(
        node,
        [`--bounding-set=-all,+${two}`, `--inh-caps=-all,+${two}`, `--ambient-caps=-all,+${two}`],
        [],
        [tools.setpriv!, '--no-new-privs', '--inh-caps=-all', '--ambient-caps=-all'],
      );
      const files = containerFiles(r);
      for (const f of oracleMaps) expect(files, f).toContain(f);
      expect(files).toContain(heldFile);
      expect(warnings(r)).toEqual([]);
    });

    it('with no_new_privs and a starter that does not hold them (capabilities.add missing): none, and the hint says so', async () => {
      const r = await agent(copyNode('node-nnp', BOTH), [], [], [tools.setpriv!, '--no-new-privs']);
      expect(containerFiles(r) ?? []).not.toContain(heldFile);
      expect(warnings(r)).toEqual(['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH']);
      expect(r.logs.find((l) => l.capability === 'CAP_SYS_PTRACE')?.hint).toMatch(/no_new_privs is set/);
    });

    it('with SYS_PTRACE outside the bounding set (not in capabilities.add): the binary does not start at all', async () => {
      const r = await agent(copyNode('node-bnd', BOTH), ['--bounding-set=-sys_ptrace']);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/Operation not permitted/);
    });
  },
);
