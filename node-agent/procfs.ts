/**
 * Small, defensive procfs readers shared by the host sensor and the relevancy collector.
 *
 * Processes come and go while we scan: any read may fail with ENOENT/ESRCH (the process exited),
 * EACCES/EPERM (ptrace access check failed, e.g. without CAP_SYS_PTRACE) or return a truncated
 * view. Every function here returns undefined instead of throwing, and the caller logs at debug.
 * procfs entries are never followed as symlinks: `/proc/<pid>/root` and `/proc/<pid>/cwd` would
 * take us into another mount namespace; only readlink is used on them.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errCode, readBounded } from './host/hostfs.js';

/** Linux caps a command line shown in /proc at the argument area; 128 KiB is plenty for flags. */
export const MAX_CMDLINE_BYTES = 128 * 1024;

export class ProcFs {
  constructor(readonly root: string) {}

  p(...parts: (string | number)[]): string {
    return path.join(this.root, ...parts.map(String));
  }

  /** Numeric entries of the procfs root (PIDs), ascending. */
  async pids(): Promise<number[]> {
    const names = await fs.readdir(this.root);
    const out: number[] = [];
    for (const n of names) if (/^\d+$/.test(n)) out.push(Number(n));
    return out.sort((a, b) => a - b);
  }

  async readText(rel: string, maxBytes: number): Promise<string | { error: string }> {
    // noFollow=false: procfs has symlinks of its own (`net` -> `self/net`); a synthetic procfs in
    // tests may link entries to the real ones. Content is still bounded and only regular/proc files.
    const r = await readBounded(path.join(this.root, rel), maxBytes, {
      allowNonRegular: false,
      noFollow: false,
    });
    return 'error' in r ? r : r.content;
  }

  /** argv of a process (NUL-separated); undefined for kernel threads (empty) or unreadable entries. */
  async cmdline(pid: number): Promise<string[] | undefined> {
    const r = await this.readText(`${pid}/cmdline`, MAX_CMDLINE_BYTES);
    if (typeof r !== 'string' || r.length === 0) return undefined;
    const args = r.split('\0');
    // Processes that rewrite their title (setproctitle: redis, nginx, postgres) leave the rest of
    // the argument area NUL-filled: drop the trailing empty strings.
    while (args.length > 0 && args[args.length - 1] === '') args.pop();
    return args;
  }

  async comm(pid: number): Promise<string | undefined> {
    const r = await this.readText(`${pid}/comm`, 256);
    return typeof r === 'string' ? r.replace(/\n$/, '') : undefined;
  }

  /**
   * readlink without following. Synchronous on purpose: procfs links (`fd/N`, `exe`) are answered
   * from kernel memory without disk I/O or the target's mmap lock, so the syscall takes
   * microseconds, while a libuv threadpool round trip costs ~1 ms; a scan does thousands of them.
   * Content reads (cmdline, maps) stay asynchronous: they take the target's mmap lock and can stall.
   */
  readlink(rel: string): string | { error: string } {
    try {
      return fsSync.readlinkSync(path.join(this.root, rel));
    } catch (e) {
      return { error: errCode(e) };
    }
  }

  /** Names in /proc/<pid>/fd, at most `max` (synchronous for the same reason as readlink). */
  fds(pid: number, max: number): string[] | { error: string } {
    let dir: fsSync.Dir | undefined;
    try {
      dir = fsSync.opendirSync(this.p(pid, 'fd'));
      const out: string[] = [];
      for (let d = dir.readSync(); d !== null && out.length < max; d = dir.readSync()) out.push(d.name);
      return out;
    } catch (e) {
      return { error: errCode(e) };
    } finally {
      try {
        dir?.closeSync();
      } catch {
        /* already closed */
      }
    }
  }
}

/** Let other work (health probes) run during long scans. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Strip the kernel's " (deleted)" marker from a path shown by readlink or maps. */
export function stripDeleted(p: string): { path: string; deleted: boolean } {
  return p.endsWith(' (deleted)')
    ? { path: p.slice(0, -' (deleted)'.length), deleted: true }
    : { path: p, deleted: false };
}

/**
 * Parse `--flag=value` / `--flag value` / `-f value` command-line flags. Last occurrence wins (as
 * with Go's flag package). A flag followed by something starting with `-` is boolean ("true").
 * Positional arguments are ignored.
 */
export function parseFlags(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--') continue;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) {
      out[body.slice(0, eq)] = body.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        out[body] = next;
        i++;
      } else out[body] = 'true';
    }
  }
  return out;
}
