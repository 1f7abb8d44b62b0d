/**
 * Reading the host's files from a mounted host root (HOST_ROOT, `/host` in the DaemonSet).
 *
 * Every file is hostile: any process on the node (or any container that can write a hostPath) may
 * plant a symlink such as `/etc/kubernetes/kubelet.conf -> /proc/self/environ` or a multi-gigabyte
 * file. So paths are resolved component by component as if HOST_ROOT were `/` (a chroot-style walk:
 * absolute symlink targets restart at HOST_ROOT, `..` never climbs above it), reads are bounded,
 * FIFOs and devices are never opened for reading, and every failure becomes a value, not an
 * exception. The host mount is read-only, so the remaining race between the walk and the open can
 * only redirect us to another host file, which O_NOFOLLOW on the final component keeps inside the
 * already-resolved directory.
 */
import { constants as C } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Linux MAXSYMLINKS: more hops than this is a loop. */
const MAX_SYMLINK_HOPS = 40;

export type FileInfo = {
  /** Host path as given (absolute, as seen from the host's `/`). */
  path: string;
  /** Host path after resolving symlinks inside the host root, when it differs. */
  realPath?: string;
  exists: boolean;
  type?: 'file' | 'directory' | 'symlink' | 'other';
  ownership?: { uid: number; gid: number; username?: string; groupname?: string };
  /** Permission bits (mode & 0o7777) as a number and as the octal string people write (`0600`). */
  permissions?: number;
  mode?: string;
  size?: number;
  /** Why it could not be inspected (e.g. EACCES), when it exists but is unreadable. */
  error?: string;
};

export interface ReadResult {
  info: FileInfo;
  /** UTF-8 content, at most maxBytes; absent when the file is missing, unreadable or not regular. */
  content?: string;
  truncated?: boolean;
}

export class HostFs {
  private users?: Promise<{ users: Map<number, string>; groups: Map<number, string> }>;

  constructor(
    /** Absolute path of the host root mount. */
    readonly root: string,
    readonly maxBytes: number = 1024 * 1024,
  ) {}

  /**
   * Resolve a host path to a path on our filesystem without leaving the root. Returns undefined if
   * a component is missing or unreadable, or on a symlink loop. `followLast=false` stops before
   * the last component (lstat semantics).
   */
  async resolve(hostPath: string, followLast = true): Promise<string | undefined> {
    const parts = splitAbs(hostPath);
    const done: string[] = [];
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift()!;
      if (part === '..') {
        done.pop(); // clamped at the root: popping an empty array is a no-op
        continue;
      }
      const candidate = path.join(this.root, ...done, part);
      if (!followLast && parts.length === 0) {
        done.push(part);
        break;
      }
      let st;
      try {
        st = await fs.lstat(candidate);
      } catch {
        return undefined;
      }
      if (!st.isSymbolicLink()) {
        done.push(part);
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) return undefined;
      let target: string;
      try {
        target = await fs.readlink(candidate);
      } catch {
        return undefined;
      }
      // Absolute targets restart at the host root; relative ones continue from the link's directory.
      if (target.startsWith('/')) done.length = 0;
      parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
    }
    return path.join(this.root, ...done);
  }

  /** Host-relative form of a resolved local path (for realPath). */
  private toHost(local: string): string {
    const rel = path.relative(this.root, local);
    return '/' + rel.split(path.sep).filter(Boolean).join('/');
  }

  async stat(hostPath: string): Promise<FileInfo> {
    const p = normalizeHostPath(hostPath);
    const local = await this.resolve(p);
    if (local === undefined) {
      // Tell "missing" from "dangling/looping symlink": the latter exists as a link.
      const linkLocal = await this.resolve(p, false);
      if (linkLocal !== undefined) {
        try {
          const st = await fs.lstat(linkLocal);
          return { ...(await this.describe(p, st)), type: 'symlink', error: 'dangling or looping symlink' };
        } catch {
          /* missing */
        }
      }
      return { path: p, exists: false };
    }
    try {
      const st = await fs.stat(local);
      const info = await this.describe(p, st);
      const real = this.toHost(local);
      if (real !== p) info.realPath = real;
      return info;
    } catch (e) {
      return { path: p, exists: true, error: errCode(e) };
    }
  }

  private async describe(p: string, st: import('node:fs').Stats): Promise<FileInfo> {
    const { users, groups } = await this.accounts();
    const perm = st.mode & 0o7777;
    const username = users.get(st.uid);
    const groupname = groups.get(st.gid);
    return {
      path: p,
      exists: true,
      type: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other',
      ownership: {
        uid: st.uid,
        gid: st.gid,
        ...(username !== undefined ? { username } : {}),
        ...(groupname !== undefined ? { groupname } : {}),
      },
      permissions: perm,
      mode: perm.toString(8).padStart(4, '0'),
      size: st.size,
    };
  }

  /** Read a regular file, at most `maxBytes` (default: the instance limit). */
  async read(hostPath: string, maxBytes = this.maxBytes): Promise<ReadResult> {
    const info = await this.stat(hostPath);
    if (!info.exists || info.type !== 'file' || info.error) return { info };
    const local = await this.resolve(info.realPath ?? info.path);
    if (local === undefined) return { info };
    const r = await readBounded(local, maxBytes);
    if ('error' in r) return { info: { ...info, error: r.error } };
    return { info, content: r.content, ...(r.truncated ? { truncated: true } : {}) };
  }

  /** Names in a host directory (sorted, at most `max`), or undefined if it is missing/unreadable. */
  async list(hostDir: string, max: number): Promise<string[] | undefined> {
    const local = await this.resolve(normalizeHostPath(hostDir));
    if (local === undefined) return undefined;
    try {
      const names: string[] = [];
      const dir = await fs.opendir(local);
      for await (const d of dir) {
        names.push(d.name);
        if (names.length >= max) break;
      }
      return names.sort();
    } catch {
      return undefined;
    }
  }

  /** uid → user and gid → group names from the host's /etc/passwd and /etc/group (read once). */
  private accounts(): Promise<{ users: Map<number, string>; groups: Map<number, string> }> {
    this.users ??= (async () => {
      const parse = async (f: string): Promise<Map<number, string>> => {
        const out = new Map<number, string>();
        const local = await this.resolve(f);
        if (local === undefined) return out;
        const r = await readBounded(local, this.maxBytes);
        if ('error' in r) return out;
        for (const line of r.content.split('\n')) {
          const [name, , id] = line.split(':');
          const n = Number(id);
          if (name && id !== undefined && /^\d+$/.test(id) && !out.has(n)) out.set(n, name);
        }
        return out;
      };
      const [users, groups] = await Promise.all([parse('/etc/passwd'), parse('/etc/group')]);
      return { users, groups };
    })();
    return this.users;
  }
}

/** `/a/./b//c/` → `/a/b/c`; relative paths are taken from `/` (we have no process cwd for host files). */
export function normalizeHostPath(p: string): string {
  return path.posix.resolve('/', p);
}

function splitAbs(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

export function errCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

/**
 * Read at most maxBytes of a file without following a final symlink and without blocking on a FIFO
 * (O_NONBLOCK) and without reading non-regular files. Works for procfs files too, whose stat size
 * is 0: we read until EOF or the limit.
 */
export async function readBounded(
  local: string,
  maxBytes: number,
  opts: { allowNonRegular?: boolean; noFollow?: boolean } = {},
): Promise<{ content: string; truncated: boolean } | { error: string }> {
  let fh;
  try {
    fh = await fs.open(local, C.O_RDONLY | C.O_NONBLOCK | (opts.noFollow === false ? 0 : C.O_NOFOLLOW));
  } catch (e) {
    return { error: errCode(e) };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() && !opts.allowNonRegular) return { error: 'not a regular file' };
    const chunks: Buffer[] = [];
    let total = 0;
    // procfs files report size 0 and must be read in pieces until EOF. Most are tiny (cgroup,
    // comm, cmdline): start small and grow, since a scan reads thousands of them and every
    // oversized buffer is memory the process holds until the next GC (README, Memory).
    let chunkSize = st.size > 0 ? Math.min(st.size + 1, 64 * 1024) : 4096;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(chunkSize, maxBytes + 1 - total));
      chunkSize = Math.min(chunkSize * 4, 64 * 1024);
      if (buf.length === 0) break;
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) break;
    }
    const all = Buffer.concat(chunks, total);
    const truncated = total > maxBytes;
    return { content: all.subarray(0, Math.min(total, maxBytes)).toString('utf8'), truncated };
  } catch (e) {
    return { error: errCode(e) };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
