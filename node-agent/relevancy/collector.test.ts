import { spawn, type ChildProcess } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ProcFs } from '../procfs.js';
import { forEachMappedFile, mapsPath, relevantPath, scanProcfs } from './collector.js';

const CID_A = 'a'.repeat(64);
const CID_B = 'b'.repeat(64);
const UID = '11111111-2222-3333-4444-555555555555';
const log = pino({ level: 'silent' });

/** A debug-level logger whose lines are kept, to check what a skip says. */
function capturingLog(): { log: typeof log; lines: { msg: string; pid?: number; malformed?: number }[] } {
  const lines: { msg: string; pid?: number }[] = [];
  return {
    log: pino(
      { level: 'debug' },
      { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) },
    ),
    lines,
  };
}
const opts = { maxFdsPerProcess: 4096, maxMapsBytes: 4 * 1024 * 1024 };

let tmp: string;
let held: string;
const children: ChildProcess[] = [];

/** A `node` child that opens `file`, keeps it open and says when it is ready. */
function holder(file: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const fs=require('fs');globalThis.fd=fs.openSync(${JSON.stringify(file)},'r');process.stdout.write('ready\\n');setInterval(()=>{},1e6);`,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('error', reject);
  });
}

/** Mirror a real process into a synthetic procfs, with a chosen cgroup file. */
async function mirror(proc: string, pid: number, cgroup: string): Promise<void> {
  const dir = path.join(proc, String(pid));
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'cgroup'), cgroup);
  // maps and fd resolve to the live entries; exe is the (already resolved) target, as readlink of
  // the real /proc/<pid>/exe returns it.
  await fs.symlink(`/proc/${pid}/maps`, path.join(dir, 'maps'));
  await fs.symlink(`/proc/${pid}/fd`, path.join(dir, 'fd'));
  await fs.symlink(fsSync.readlinkSync(`/proc/${pid}/exe`), path.join(dir, 'exe'));
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-relevancy-'));
  held = path.join(tmp, 'held file with spaces.txt');
  await fs.writeFile(held, 'relevant');
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('maps and link filtering', () => {
  it('takes the path column (with spaces), skips anonymous and pseudo mappings', () => {
    expect(
      mapsPath(
        '7f2c1a000000-7f2c1a022000 r--p 00000000 fd:01 1835093                    /usr/lib/x86_64-linux-gnu/libc.so.6',
      ),
    ).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(mapsPath('7f2c1a000000-7f2c1a022000 r--p 00000000 fd:01 42 /opt/my app/lib x.so (deleted)')).toBe(
      '/opt/my app/lib x.so',
    );
    expect(
      mapsPath('7ffd6b5e0000-7ffd6b601000 rw-p 00000000 00:00 0                          [stack]'),
    ).toBeUndefined();
    expect(mapsPath('55d0c3a00000-55d0c3a21000 rw-p 00000000 00:00 0 ')).toBeUndefined();
    expect(
      mapsPath('7f0000000000-7f0000001000 rw-s 00000000 00:01 1026 /memfd:wayland-shm (deleted)'),
    ).toBeUndefined();
    expect(mapsPath('7f0000000000-7f0000001000 rw-s 00000000 00:05 3 /dev/zero (deleted)')).toBeUndefined();
    expect(mapsPath('garbage')).toBeUndefined();
    expect(mapsPath('7f0000000000-7f0000001000 r--p 00000000 fd:01 9 /tmp/a\\012b')).toBe('/tmp/a\nb');
  });
  it('walks a whole maps text like the line parser, once per run of segments', () => {
    const text = [
      '7f00-7f01 r--p 00000000 fd:01 42 /usr/lib/libc.so.6',
      '7f01-7f02 r-xp 00001000 fd:01 42 /usr/lib/libc.so.6',
      '7f02-7f03 rw-p 00000000 00:00 0 ',
      '7f03-7f04 r--p 00000000 fd:01 43 /usr/lib/libm.so.6',
      '7f04-7f05 r--p 00000000 fd:01 42 /usr/lib/libc.so.6',
      '7f05-7f06 rw-p 00000000 00:00 0                          [heap]',
      '7f06-7f07 r--p 00000000 fd:01 44 /opt/a b/c.so (deleted)',
    ].join('\n');
    const seen: string[] = [];
    forEachMappedFile(text, (p) => seen.push(p));
    expect(seen).toEqual(['/usr/lib/libc.so.6', '/usr/lib/libm.so.6', '/usr/lib/libc.so.6', '/opt/a b/c.so']);
  });

  it('finds in this process’s real maps what a field-by-field regex finds', async () => {
    const text = await fs.readFile('/proc/self/maps', 'utf8');
    const oracle = new Set<string>();
    for (const line of text.split('\n')) {
      const m = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+[0-9a-f]+\s+\S+\s+(\d+)\s*(.*)$/.exec(line);
      if (m && m[1] !== '0' && m[2]) {
        const p = relevantPath(m[2].replace(/\\012/g, '\n'));
        if (p) oracle.add(p);
      }
    }
    const seen = new Set<string>();
    forEachMappedFile(text, (p) => seen.add(p));
    expect(oracle.size).toBeGreaterThan(0);
    expect([...seen].sort()).toEqual([...oracle].sort());
  });

  it('keeps absolute file links only', () => {
    expect(relevantPath('socket:[123]')).toBeUndefined();
    expect(relevantPath('pipe:[9]')).toBeUndefined();
    expect(relevantPath('anon_inode:[eventpoll]')).toBeUndefined();
    expect(relevantPath('/dev/null')).toBeUndefined();
    expect(relevantPath('/proc/1/status')).toBeUndefined();
    expect(relevantPath('/etc/passwd')).toBe('/etc/passwd');
  });
});

describe('scanProcfs with real processes and a synthetic cgroup mapping', () => {
  it('reports the executable, mapped libraries and open files per container', async () => {
    const a1 = await holder(held);
    const a2 = await holder(held);
    const b = await holder(path.join(tmp, 'other.txt').replace('other.txt', 'held file with spaces.txt'));
    const proc = path.join(tmp, 'proc-real');
    await mirror(
      proc,
      a1.pid!,
      `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID.replaceAll('-', '_')}.slice/cri-containerd-${CID_A}.scope\n`,
    );
    await mirror(proc, a2.pid!, `0::/kubepods/besteffort/pod${UID}/${CID_A}\n`);
    await mirror(proc, b.pid!, `not a cgroup line\n5:memory:/docker/${CID_B}\n`);
    // A host process: present in procfs, not in any container, not reported.
    await mirror(proc, process.pid, '0::/user.slice/session-1.scope\n');

    const r = await scanProcfs(new ProcFs(proc), opts, log);
    expect([...r.containers.keys()].sort()).toEqual([CID_A, CID_B]);
    const a = r.containers.get(CID_A)!;
    expect(a.pids.sort()).toEqual([a1.pid, a2.pid].sort());
    expect(a.identity.podUid).toBe(UID);
    expect(a.files.has(held)).toBe(true);
    expect(a.files.has(fsSync.realpathSync(process.execPath))).toBe(true);
    // node links libstdc++ dynamically (see `ldd node`): the mapping shows up with its real path.
    expect([...a.files].some((f) => /\/libstdc\+\+\.so\.6[.\d]*$/.test(f))).toBe(true);
    expect(
      [...a.files].every((f) => f.startsWith('/') && !f.startsWith('/dev/') && !f.startsWith('/proc/')),
    ).toBe(true);
    expect(r.containers.get(CID_B)!.files.has(held)).toBe(true);
    expect(r.stats.malformedCgroupLines).toBe(1);
    expect(r.stats.containerProcesses).toBe(3);
    expect(r.present).toEqual(new Set([CID_A, CID_B]));
  });

  it('skips processes that exited mid-scan and unreadable entries without failing', async () => {
    const live = await holder(held);
    const dying = await holder(held);
    const proc = path.join(tmp, 'proc-dying');
    await mirror(proc, live.pid!, `0::/docker/${CID_A}\n`);
    await mirror(proc, dying.pid!, `0::/docker/${CID_B}\n`);
    await new Promise<void>((resolve) => {
      dying.once('exit', () => resolve());
      dying.kill('SIGKILL');
    });
    // The mirrored cgroup file outlives the process (as if read just before it exited); the live
    // maps and fd links now dangle; exe is a plain copy of the link, so drop it like procfs would.
    await fs.rm(path.join(proc, String(dying.pid), 'exe'));
    // Unreadable: maps is a directory, no fd table, exe dangling; cgroup file is a directory.
    await fs.mkdir(path.join(proc, '999990/maps'), { recursive: true });
    await fs.writeFile(path.join(proc, '999990/cgroup'), `0::/docker/${CID_B}\n`);
    await fs.mkdir(path.join(proc, '999991/cgroup'), { recursive: true });
    // Listed but vanished entirely.
    await fs.mkdir(path.join(proc, '999992'));
    // Malformed cgroup lines next to a valid one: skipped and counted, the process still read.
    await fs.writeFile(path.join(proc, String(live.pid), 'cgroup'), `garbage\n::\n0::/docker/${CID_A}\n`);

    const cap = capturingLog();
    const r = await scanProcfs(new ProcFs(proc), opts, cap.log);
    expect([...r.containers.keys()]).toEqual([CID_A]);
    expect(r.containers.get(CID_A)!.files.has(held)).toBe(true);
    // dying (exited), 999990 (nothing readable), 999991 and 999992 (no cgroup).
    expect(r.stats.skipped).toBe(4);
    expect(r.stats.malformedCgroupLines).toBe(2);
    // Each skip is a debug line naming the process, never an error.
    const skipped = cap.lines.filter((l) => l.msg.startsWith('skipping process'));
    expect(skipped.map((l) => l.pid).sort()).toEqual([dying.pid, 999990, 999991, 999992].sort());
    expect(cap.lines.find((l) => l.msg === 'skipped malformed cgroup lines')).toMatchObject({
      pid: live.pid,
      malformed: 2,
    });
    expect(cap.lines.every((l) => (l as { level?: number }).level === 20)).toBe(true);
  });

  it('does not read containers that are no longer wanted', async () => {
    const c = await holder(held);
    const proc = path.join(tmp, 'proc-want');
    await mirror(proc, c.pid!, `0::/docker/${CID_A}\n`);
    const r = await scanProcfs(new ProcFs(proc), { ...opts, want: () => false }, log);
    expect(r.containers.size).toBe(0);
    expect(r.present.has(CID_A)).toBe(true);
  });

  it('scans this machine’s real /proc without throwing', async () => {
    const r = await scanProcfs(new ProcFs('/proc'), opts, log);
    expect(r.stats.processes).toBeGreaterThan(1);
  });
});
