/**
 * The squashed filesystem of an image, built by streaming its layers in order through a tar parser
 * without extracting anything. It keeps METADATA for every path (type, size, mode, link target,
 * layer) and CONTENT only for the files a cataloger asked for (ContentRule), each under a size cap:
 * small files in memory, archives/binaries spooled to one private temp dir that dispose() removes.
 * Whiteouts (`.wh.<name>`) and opaque directories (`.wh..wh..opq`) hide lower layers exactly as
 * overlayfs does. Tar names are normalised; names climbing out with `..` are dropped and counted.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { extract, type Header as Headers } from 'tar-stream';
import { LayerError } from '../errors.js';
import { scanExecutable } from './executable.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface FileMeta {
  path: string;
  type: FileType;
  size: number;
  mode: number;
  linkname?: string;
  /** Index of the layer that last wrote this path. */
  layer: number;
}

/** What a cataloger wants read: paths matched by `match`, kept as bytes or spooled to disk. */
export interface ContentRule {
  id: string;
  match: (path: string, meta: { size: number; mode: number }) => boolean;
  /** Largest file kept; larger ones are recorded in `skipped` (a partial SBOM, honestly reported). */
  maxBytes: number;
  /** 'memory' (default) or 'spool' (archives read by random access, e.g. jars). */
  store?: 'memory' | 'spool';
}

export interface FsLimits {
  /** Paths tracked across all layers (hostile layers with millions of entries). */
  maxEntries: number;
  /** Total bytes of captured content kept in memory. */
  maxMemoryBytes: number;
  /** Total bytes spooled to disk. */
  maxSpoolBytes: number;
  /** Bytes captured after a Go buildinfo magic in an executable ELF. */
  maxGoBuildInfoBytes: number;
  /** Largest executable ELF held in memory while it streams so its section table can be read. */
  maxElfHoldBytes: number;
}

export const DEFAULT_FS_LIMITS: FsLimits = {
  maxEntries: 2_000_000,
  maxMemoryBytes: 256 * 1024 * 1024,
  maxSpoolBytes: 2 * 1024 * 1024 * 1024,
  maxGoBuildInfoBytes: 1024 * 1024,
  maxElfHoldBytes: 48 * 1024 * 1024,
};

interface Node {
  meta?: FileMeta;
  children?: Map<string, Node>;
  content?: Buffer;
  spool?: string;
  /** Bytes following the Go buildinfo magic, when this is an executable ELF Go binary. */
  goBuildInfo?: Buffer;
  /** The compressed cargo-auditable `.dep-v0` section, when this is an audited Rust binary. */
  rustDeps?: Buffer;
}

export class SymlinkLoopError extends LayerError {
  override name = 'SymlinkLoopError';
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const MAX_RUST_SECTION = 4 * 1024 * 1024;
const noop = (): void => undefined;
const MAX_SYMLINK_HOPS = 40;
/** `.`/`..` components, empty components, or a leading slash. */
const UNCLEAN = /(?:^|\/)\.\.?(?:\/|$)|\/\/|^\//;

/** `./a//b/../c` → `a/c`; undefined when the name climbs above the root. */
export function normalisePath(name: string): string | undefined {
  // Fast path for the common, already clean name (no split/join per tar entry).
  if (!UNCLEAN.test(name)) return name.endsWith('/') ? name.slice(0, -1) : name;
  const out: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(p);
  }
  return out.join('/');
}

export interface LayerStats {
  entries: number;
  /** Names rejected: `..` traversal above the root, or not representable. */
  rejected: string[];
}

export class ImageFilesystem {
  private readonly root: Node = { children: new Map(), meta: { path: '', type: 'dir', size: 0, mode: 0o755, layer: -1 } };
  private entries = 0;
  private memoryBytes = 0;
  private spoolBytes = 0;
  private spoolDir: string | undefined;
  private spoolSeq = 0;
  /** Nodes holding content, a spool file or binary metadata (captured() without walking the tree). */
  private readonly withData = new Set<Node>();
  /** Files a rule wanted but could not keep (too big, budget exhausted), with the reason. */
  readonly skipped: { path: string; reason: string }[] = [];
  readonly layerDigests: string[] = [];

  constructor(
    private readonly rules: readonly ContentRule[],
    private readonly limits: FsLimits = DEFAULT_FS_LIMITS,
    private readonly scanGoBinaries = true,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Building

  /** Stream one (decompressed) tar layer on top of the current view. */
  async applyLayer(tar: Readable, layerDigest: string): Promise<LayerStats> {
    const layer = this.layerDigests.length;
    this.layerDigests.push(layerDigest);
    const stats: LayerStats = { entries: 0, rejected: [] };
    const ex = extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', (e: Error) => reject(e instanceof LayerError ? e : new LayerError(`layer ${layerDigest}: ${/Unexpected end|premature/i.test(e.message) ? 'truncated tar stream' : e.message}`)));
      tar.on('error', (e: Error) => reject(e));
    });
    ex.on('entry', (header: Headers, entryStream, next) => {
      const stream = entryStream as unknown as Readable;
      // A truncated layer errors the entry stream too; the extractor reports that error once.
      stream.on('error', noop);
      stats.entries++;
      const fail = (e: unknown): void => {
        stream.resume();
        next(e instanceof Error ? e : new Error(String(e)));
      };
      let pending: Promise<void> | undefined;
      try {
        pending = this.onEntry(header, stream, layer, stats);
      } catch (e) {
        fail(e);
        return;
      }
      // Most entries need no content: their stream was resumed (drained by tar-stream as it
      // parses on) and the next header is released without a promise chain per entry. A
      // microtask, not a direct call: next() re-enters the parser that is emitting this entry.
      if (!pending) queueMicrotask(next);
      else pending.then(() => next(), fail);
    });
    tar.pipe(ex);
    await done;
    return stats;
  }

  /** Undefined when the entry was handled synchronously (its stream resumed). */
  private onEntry(h: Headers, stream: Readable, layer: number, stats: LayerStats): Promise<void> | undefined {
    const path = normalisePath(h.name);
    if (path === undefined) {
      if (stats.rejected.length < 100) stats.rejected.push(h.name);
      stream.resume();
      return;
    }
    const slash = path.lastIndexOf('/');
    const dir = slash >= 0 ? path.slice(0, slash) : '';
    const base = slash >= 0 ? path.slice(slash + 1) : path;
    if (base === OPAQUE) {
      const d = this.lookup(dir);
      if (d?.children) this.prune(d, layer);
      stream.resume();
      return;
    }
    if (base.startsWith(WH)) {
      const parent = this.lookup(dir);
      const victim = parent?.children?.get(base.slice(WH.length));
      if (parent?.children && victim) {
        this.prune(victim, layer);
        if (!victim.children?.size && (victim.meta?.layer ?? -1) < layer) {
          this.release(victim);
          parent.children.delete(base.slice(WH.length));
        }
      }
      stream.resume();
      return;
    }
    if (path === '') {
      stream.resume();
      return;
    }
    const type: FileType =
      h.type === 'file' || h.type === 'contiguous-file'
        ? 'file'
        : h.type === 'directory'
          ? 'dir'
          : h.type === 'symlink'
            ? 'symlink'
            : h.type === 'link'
              ? 'hardlink'
              : 'other';
    const size = type === 'file' ? (h.size ?? 0) : 0;
    const mode = h.mode ?? 0;
    let linkname: string | undefined;
    if (type === 'symlink') linkname = h.linkname ?? '';
    if (type === 'hardlink') linkname = normalisePath(h.linkname ?? '') ?? undefined;
    const node = this.upsert(path, { path, type, size, mode, linkname, layer });
    if (type === 'hardlink' && linkname !== undefined) {
      // A hard link shares the content of its (earlier) target; copy the reference we hold.
      const target = this.lookup(linkname);
      if (target?.meta?.type === 'file') {
        node.meta = { ...target.meta, path, layer };
        node.content = target.content;
        node.spool = target.spool;
        node.goBuildInfo = target.goBuildInfo;
        node.rustDeps = target.rustDeps;
        if (node.content || node.spool || node.goBuildInfo || node.rustDeps) this.withData.add(node);
      }
    }
    if (type !== 'file') {
      stream.resume();
      return;
    }
    return this.capture(node, path, size, mode, stream);
  }

  /** Undefined when nothing is wanted from the file (stream resumed, nothing to wait for). */
  private capture(node: Node, path: string, size: number, mode: number, stream: Readable): Promise<void> | undefined {
    const meta = { size, mode };
    const rule = this.rules.find((r) => r.match(path, meta));
    if (rule) {
      if (size > rule.maxBytes) {
        this.skipped.push({ path, reason: `${size} bytes > ${rule.maxBytes} (${rule.id})` });
      } else if (rule.store === 'spool') {
        if (this.spoolBytes + size > this.limits.maxSpoolBytes) this.skipped.push({ path, reason: 'spool budget exhausted' });
        else return this.spool(node, size, stream);
      } else if (this.memoryBytes + size > this.limits.maxMemoryBytes) {
        this.skipped.push({ path, reason: 'memory budget exhausted' });
      } else return this.keep(node, path, rule.maxBytes, stream);
    }
    if (this.scanGoBinaries && mode & 0o111 && size > 1024) return this.scan(node, stream);
    stream.resume();
    return undefined;
  }

  private async spool(node: Node, size: number, stream: Readable): Promise<void> {
    this.spoolDir ??= await mkdtemp(join(tmpdir(), 'kscape-sbom-'));
    const file = join(this.spoolDir, String(this.spoolSeq++));
    this.spoolBytes += size;
    const out = createWriteStream(file, { mode: 0o600 });
    stream.pipe(out);
    await finished(out);
    node.spool = file;
    this.withData.add(node);
  }

  private async keep(node: Node, path: string, max: number, stream: Readable): Promise<void> {
    // Never trust the header's size for allocation: collect what actually arrives, capped.
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of stream as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > max) throw new LayerError(`${path}: more data than its header declared`);
      chunks.push(c);
    }
    node.content = Buffer.concat(chunks, n);
    this.memoryBytes += n;
    this.withData.add(node);
  }

  private async scan(node: Node, stream: Readable): Promise<void> {
    const scan = await scanExecutable(stream, {
      maxGoBuildInfoBytes: this.limits.maxGoBuildInfoBytes,
      maxHoldBytes: this.limits.maxElfHoldBytes,
      maxSectionBytes: MAX_RUST_SECTION,
    });
    node.goBuildInfo = scan.goBuildInfo;
    node.rustDeps = scan.rustDeps;
    if (scan.goBuildInfo || scan.rustDeps) this.withData.add(node);
  }

  private upsert(path: string, meta: FileMeta): Node {
    const parts = path.split('/');
    let cur = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      let child = cur.children!.get(p);
      if (!child || !child.children) {
        // Implicit parent (or a file replaced by a directory): a directory now.
        if (child) this.release(child);
        else this.count();
        child = { children: new Map(), meta: { path: parts.slice(0, i + 1).join('/'), type: 'dir', size: 0, mode: 0o755, layer: meta.layer } };
        cur.children!.set(p, child);
      }
      cur = child;
    }
    const name = parts[parts.length - 1]!;
    const existing = cur.children!.get(name);
    if (existing && meta.type === 'dir' && existing.children) {
      existing.meta = meta; // a directory re-declared keeps its children
      return existing;
    }
    if (existing) this.release(existing);
    else this.count();
    const node: Node = { meta };
    if (meta.type === 'dir') node.children = new Map();
    cur.children!.set(name, node);
    return node;
  }

  private count(): void {
    if (++this.entries > this.limits.maxEntries) throw new LayerError(`image has more than ${this.limits.maxEntries} paths`);
  }

  /** Drop everything under `node` that came from layers below `layer` (opaque dir / whiteout). */
  private prune(node: Node, layer: number): void {
    if (!node.children) return;
    for (const [name, child] of node.children) {
      this.prune(child, layer);
      if ((child.meta?.layer ?? -1) < layer && !child.children?.size) {
        this.release(child);
        node.children.delete(name);
      }
    }
  }

  private release(node: Node): void {
    this.withData.delete(node);
    if (node.content) this.memoryBytes -= node.content.length;
    node.content = undefined;
    node.spool = undefined; // the temp file stays until dispose(); its bytes stay counted
    this.entries--;
    if (node.children) for (const c of node.children.values()) this.release(c);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  private lookup(path: string): Node | undefined {
    if (path === '') return this.root;
    let cur: Node | undefined = this.root;
    for (const p of path.split('/')) {
      cur = cur?.children?.get(p);
      if (!cur) return undefined;
    }
    return cur;
  }

  /**
   * Resolve symlinks (absolute targets from the image root, `..` clamped at the root as in a
   * chroot), hop-limited so loops end with SymlinkLoopError. Returns the final path.
   */
  resolve(path: string, followLast = true): string | undefined {
    return this.resolveNode(path, followLast)?.path;
  }

  /** Walks node by node (no re-lookup from the root per component: dpkg lists make many calls). */
  private resolveNode(path: string, followLast = true): { path: string; node: Node } | undefined {
    let pending = path.split('/').filter((x) => x !== '' && x !== '.');
    const names: string[] = [];
    const nodes: Node[] = [this.root];
    let hops = 0;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      if (p === '.') continue;
      if (p === '..') {
        if (names.length) {
          names.pop();
          nodes.pop();
        }
        continue;
      }
      const node = nodes[nodes.length - 1]!.children?.get(p);
      if (!node) return undefined;
      const last = i === pending.length - 1;
      if (node.meta?.type === 'symlink' && (followLast || !last)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new SymlinkLoopError(`symlink loop at /${[...names, p].join('/')}`);
        const target = node.meta.linkname ?? '';
        if (target.startsWith('/')) {
          names.length = 0;
          nodes.length = 1;
        }
        pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending.slice(i + 1)];
        i = -1;
        continue;
      }
      names.push(p);
      nodes.push(node);
    }
    return { path: names.join('/'), node: nodes[nodes.length - 1]! };
  }

  stat(path: string): FileMeta | undefined {
    return this.safeResolve(path)?.node.meta;
  }

  private safeResolve(path: string): { path: string; node: Node } | undefined {
    try {
      return this.resolveNode(path);
    } catch (e) {
      if (e instanceof SymlinkLoopError) return undefined;
      throw e;
    }
  }

  /** Captured content of a file (after symlink resolution), or undefined. */
  read(path: string): Buffer | undefined {
    return this.safeResolve(path)?.node.content;
  }

  readText(path: string): string | undefined {
    return this.read(path)?.toString('utf8');
  }

  /** Path of the spooled copy of a file (spool rules only). */
  spooled(path: string): string | undefined {
    return this.safeResolve(path)?.node.spool;
  }

  goBuildInfo(path: string): Buffer | undefined {
    return this.lookup(normalisePath(path) ?? '')?.goBuildInfo;
  }

  /** The cargo-auditable `.dep-v0` section bytes (zlib-compressed JSON) of a Rust binary. */
  rustDeps(path: string): Buffer | undefined {
    return this.lookup(normalisePath(path) ?? '')?.rustDeps;
  }

  layerDigestOf(path: string): string | undefined {
    const m = this.lookup(normalisePath(path) ?? '')?.meta;
    return m && m.layer >= 0 ? this.layerDigests[m.layer] : undefined;
  }

  /** Every path in the final view (depth-first, sorted by name for stable output). */
  *walk(): Generator<FileMeta> {
    const stack: Node[] = [this.root];
    while (stack.length) {
      const n = stack.pop()!;
      if (n !== this.root && n.meta) yield n.meta;
      if (n.children) {
        const names = [...n.children.keys()].sort().reverse();
        for (const k of names) stack.push(n.children.get(k)!);
      }
    }
  }

  /**
   * Paths with captured content, spool or binary metadata, optionally only those matched by one
   * rule, in walk() order (path components compared in turn).
   */
  *captured(ruleId?: string): Generator<FileMeta> {
    const rule = ruleId ? this.rules.find((r) => r.id === ruleId) : undefined;
    const metas: FileMeta[] = [];
    for (const n of this.withData) {
      const m = n.meta;
      if (!m || m.type !== 'file') continue;
      if (rule && !rule.match(m.path, { size: m.size, mode: m.mode })) continue;
      metas.push(m);
    }
    const key = (p: string): string => p.replaceAll('/', '\0');
    metas.sort((a, b) => (key(a.path) < key(b.path) ? -1 : key(a.path) > key(b.path) ? 1 : 0));
    yield* metas;
  }

  get size(): number {
    return this.entries;
  }

  async dispose(): Promise<void> {
    if (this.spoolDir) await rm(this.spoolDir, { recursive: true, force: true });
    this.spoolDir = undefined;
  }
}
