/**
 * Local image sources: `oci:DIR[:TAG|@DIGEST]` (an OCI image layout directory), `oci-archive:PATH`
 * (the same layout in a tar) and `docker-archive:PATH[:REF]` (`docker save` / skopeo output).
 * Archives are indexed once (header offsets only) and blobs are then read with positioned reads,
 * so nothing is extracted to disk. All names coming from the archive or layout are confined:
 * blobs are only ever addressed by validated digests or by indexed archive member names.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImageTooLargeError, InvalidInputError, NotFoundError } from '../errors.js';
import {
  DEFAULT_PLATFORM,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  MEDIA,
  VerifyingStream,
  assertDigest,
  parseConfig,
  parseJson,
  parseManifest,
  selectPlatform,
  sha256,
  verifyBytes,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from './manifest.js';
import type { LocalReference } from './reference.js';
import type { ImageSource, ResolvedImage } from './source.js';

// ------------------------------------------------------------------------------------------------
// Tar index (uncompressed archives only: both archive transports are plain tar).

export interface TarMember {
  name: string;
  offset: number;
  size: number;
  type: string;
  linkname?: string;
}

const MAX_MEMBERS = 100_000;

function octal(buf: Buffer, off: number, len: number): number {
  // GNU base-256 for sizes ≥ 8 GiB: high bit set in the first byte.
  if (buf[off]! & 0x80) {
    let n = 0;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + buf[i]!;
    return n;
  }
  const s = buf.toString('ascii', off, off + len).replace(/\0.*$/s, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function cstr(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

function parsePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(buf.toString('ascii', i, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > buf.length) break;
    const rec = buf.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

export function normaliseMemberName(name: string): string | undefined {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') return undefined; // never resolve upward in an archive
    parts.push(p);
  }
  return parts.join('/');
}

/** Walk the headers of a tar file and record where each member's data starts. */
export async function indexTar(fh: FileHandle, fileSize: number): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const hdr = Buffer.alloc(512);
  let off = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (off + 512 <= fileSize) {
    const { bytesRead } = await fh.read(hdr, 0, 512, off);
    if (bytesRead < 512) throw new InvalidInputError('archive: truncated tar header');
    if (hdr.every((b) => b === 0)) break;
    const size = octal(hdr, 124, 12);
    const type = String.fromCharCode(hdr[156] || 0x30);
    const dataOff = off + 512;
    if (!Number.isSafeInteger(size) || dataOff + size > fileSize) throw new InvalidInputError('archive: truncated or corrupt tar member');
    if (type === 'L' || type === 'x') {
      if (size > 1024 * 1024) throw new InvalidInputError('archive: oversized extended header');
      const b = Buffer.alloc(size);
      await fh.read(b, 0, size, dataOff);
      if (type === 'L') longName = cstr(b, 0, size);
      else pax = parsePax(b);
    } else {
      const prefix = cstr(hdr, 345, 155);
      const raw = pax.path ?? longName ?? (prefix ? `${prefix}/${cstr(hdr, 0, 100)}` : cstr(hdr, 0, 100));
      const name = normaliseMemberName(raw);
      const realSize = pax.size !== undefined ? Number(pax.size) : size;
      if (name !== undefined) {
        if (members.size >= MAX_MEMBERS) throw new InvalidInputError('archive: too many members');
        members.set(name, { name, offset: dataOff, size: realSize, type, linkname: pax.linkpath ?? (cstr(hdr, 157, 100) || undefined) });
      }
      longName = undefined;
      pax = {};
      off = dataOff + Math.ceil(realSize / 512) * 512;
      continue;
    }
    off = dataOff + Math.ceil(size / 512) * 512;
  }
  return members;
}

// ------------------------------------------------------------------------------------------------

/** Random access to "files" of a layout: a directory or an indexed tar. */
interface Store {
  size(name: string): Promise<number | undefined>;
  read(name: string, max: number): Promise<Buffer>;
  stream(name: string): Readable;
  close(): Promise<void>;
}

class DirStore implements Store {
  constructor(private readonly root: string) {}
  private path(name: string): string {
    const n = normaliseMemberName(name);
    if (n === undefined || n === '') throw new InvalidInputError(`invalid path "${name}" in layout`);
    return join(this.root, n);
  }
  async size(name: string): Promise<number | undefined> {
    try {
      const s = await stat(this.path(name));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  }
  async read(name: string, max: number): Promise<Buffer> {
    const size = await this.size(name);
    if (size === undefined) throw new NotFoundError(`${name} not found in ${this.root}`);
    if (size > max) throw new ImageTooLargeError(size, max, name);
    return readFile(this.path(name));
  }
  stream(name: string): Readable {
    return createReadStream(this.path(name));
  }
  async close(): Promise<void> {}
}

class TarStore implements Store {
  private constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly members: Map<string, TarMember>,
  ) {}
  static async open(path: string): Promise<TarStore> {
    const fh = await open(path, 'r').catch(() => {
      throw new NotFoundError(`archive ${path} not found`);
    });
    try {
      const st = await fh.stat();
      return new TarStore(path, fh, await indexTar(fh, st.size));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }
  private member(name: string): TarMember | undefined {
    const n = normaliseMemberName(name);
    let m = n === undefined ? undefined : this.members.get(n);
    // Docker archives may hardlink/symlink identical layers; follow one level, inside the archive.
    if (m && (m.type === '1' || m.type === '2') && m.linkname) m = this.members.get(normaliseMemberName(m.linkname) ?? '');
    return m && (m.type === '0' || m.type === '\0' || m.type === '7') ? m : undefined;
  }
  async size(name: string): Promise<number | undefined> {
    return this.member(name)?.size;
  }
  async read(name: string, max: number): Promise<Buffer> {
    const m = this.member(name);
    if (!m) throw new NotFoundError(`${name} not found in ${this.path}`);
    if (m.size > max) throw new ImageTooLargeError(m.size, max, name);
    const b = Buffer.alloc(m.size);
    await this.fh.read(b, 0, m.size, m.offset);
    return b;
  }
  stream(name: string): Readable {
    const m = this.member(name);
    if (!m) throw new NotFoundError(`${name} not found in ${this.path}`);
    if (m.size === 0) return createReadStream(this.path, { start: 1, end: 0 });
    return createReadStream(this.path, { start: m.offset, end: m.offset + m.size - 1 });
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

const blobPath = (digest: string): string => {
  const [alg, hex] = assertDigest(digest, 'blob').split(':');
  return `blobs/${alg}/${hex}`;
};

/** `oci:` and `oci-archive:` — an OCI image layout (index.json → manifest → blobs). */
export class OciLayoutSource implements ImageSource {
  private constructor(
    private readonly ref: LocalReference,
    private readonly store: Store,
    private readonly platform: Platform,
  ) {}

  static async open(ref: LocalReference, platform: Platform = DEFAULT_PLATFORM): Promise<OciLayoutSource> {
    const store = ref.transport === 'oci-archive' ? await TarStore.open(ref.path) : new DirStore(ref.path);
    return new OciLayoutSource(ref, store, platform);
  }

  async resolve(): Promise<ResolvedImage> {
    const layoutJson = parseJson(await this.store.read('oci-layout', 64 * 1024).catch(() => Buffer.from('{}')), 'oci-layout');
    if (layoutJson.imageLayoutVersion !== undefined && layoutJson.imageLayoutVersion !== '1.0.0')
      throw new InvalidInputError(`unsupported OCI layout version ${String(layoutJson.imageLayoutVersion)}`);
    const index = parseManifest(await this.store.read('index.json', MAX_MANIFEST_BYTES), MEDIA.ociIndex, `${this.ref.canonical} index.json`);
    if (index.kind !== 'index') throw new InvalidInputError(`${this.ref.canonical}: index.json is not an index`);
    let desc: Descriptor | undefined;
    if (this.ref.digest) desc = index.manifests.find((m) => m.digest === this.ref.digest);
    else if (this.ref.tag) desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === this.ref.tag);
    else if (index.manifests.length === 1) desc = index.manifests[0];
    if (!desc) throw new NotFoundError(`${this.ref.canonical}: no manifest ${this.ref.tag ?? this.ref.digest ?? '(several images; name a tag)'} in index.json`);
    const digest = desc.digest;
    let { manifest, manifestDigest } = await this.loadManifest(desc);
    let platform = this.platform;
    if (!manifest) {
      // The tag names an index (multi-platform image in a layout).
      const nested = parseManifest(await this.readBlob(desc, MAX_MANIFEST_BYTES), desc.mediaType, `index ${desc.digest}`);
      if (nested.kind !== 'index') throw new InvalidInputError('unexpected manifest kind');
      const chosen = selectPlatform(nested.manifests, this.platform, `index ${desc.digest}`);
      ({ manifest, manifestDigest } = await this.loadManifest(chosen));
      if (!manifest) throw new InvalidInputError('nested index is not supported');
      platform = chosen.platform ?? platform;
    }
    const cfg = await this.readBlob(manifest.config, MAX_CONFIG_BYTES);
    const config = parseConfig(cfg, `config ${manifest.config.digest}`);
    if (config.os && config.architecture) platform = { os: config.os, architecture: config.architecture, variant: config.variant };
    return { reference: this.ref.canonical, digest, manifestDigest, manifest, config, configDigest: manifest.config.digest, platform };
  }

  private async loadManifest(desc: Descriptor): Promise<{ manifest?: ImageManifest; manifestDigest: string }> {
    const bytes = await this.readBlob(desc, MAX_MANIFEST_BYTES);
    const parsed = parseManifest(bytes, desc.mediaType, `manifest ${desc.digest}`);
    return { manifest: parsed.kind === 'image' ? parsed.manifest : undefined, manifestDigest: desc.digest };
  }

  private async readBlob(desc: Descriptor, max: number): Promise<Buffer> {
    const b = await this.store.read(blobPath(desc.digest), max);
    verifyBytes(b, desc.digest, `blob ${desc.digest}`);
    return b;
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const s = this.store.stream(blobPath(desc.digest));
    const v = new VerifyingStream(desc.digest, desc.size, `blob ${desc.digest}`);
    s.on('error', (e) => v.destroy(e));
    return s.pipe(v);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/**
 * `docker-archive:` — manifest.json lists {Config, RepoTags, Layers} with member paths; layers
 * carry no digests of their compressed form, so they are named by the sha256 of their bytes,
 * computed while streaming (and checked against the config's diff_ids when uncompressed).
 */
export class DockerArchiveSource implements ImageSource {
  private constructor(
    private readonly ref: LocalReference,
    private readonly store: TarStore,
  ) {}
  private layerPaths = new Map<string, string>();

  static async open(ref: LocalReference): Promise<DockerArchiveSource> {
    return new DockerArchiveSource(ref, await TarStore.open(ref.path));
  }

  async resolve(): Promise<ResolvedImage> {
    const raw = await this.store.read('manifest.json', MAX_MANIFEST_BYTES);
    let list: unknown;
    try {
      list = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new InvalidInputError(`${this.ref.canonical}: manifest.json is not JSON`);
    }
    if (!Array.isArray(list) || list.length === 0) throw new InvalidInputError(`${this.ref.canonical}: empty manifest.json`);
    type Entry = { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    const entries = list as Entry[];
    let entry: Entry | undefined = entries[0];
    if (this.ref.tag) {
      const want = this.ref.tag;
      entry = entries.find((e) => Array.isArray(e.RepoTags) && (e.RepoTags as unknown[]).some((t) => t === want || (typeof t === 'string' && t.endsWith(`/${want}`))));
      if (!entry && /^\d+$/.test(want)) entry = entries[Number(want)]; // skopeo's @N index form
    } else if (entries.length > 1) throw new InvalidInputError(`${this.ref.canonical}: archive holds several images; name one`);
    if (!entry || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers))
      throw new NotFoundError(`${this.ref.canonical}: image ${this.ref.tag ?? ''} not in manifest.json`);
    const cfgBytes = await this.store.read(entry.Config, MAX_CONFIG_BYTES);
    const configDigest = sha256(cfgBytes);
    const config = parseConfig(cfgBytes, `config ${entry.Config}`);
    const layers: Descriptor[] = [];
    for (const p of entry.Layers as unknown[]) {
      if (typeof p !== 'string') throw new InvalidInputError('manifest.json: layer path not a string');
      const size = await this.store.size(p);
      if (size === undefined) throw new NotFoundError(`${this.ref.canonical}: layer ${p} missing`);
      // The digest is not known before reading; a placeholder keyed by path is resolved in openBlob.
      const m = /([a-f0-9]{64})(?:\.tar)?(?:\/layer\.tar)?$/.exec(p);
      const digest = m ? `sha256:${m[1]}` : `sha256:${'0'.repeat(64)}`;
      this.layerPaths.set(`${digest}|${layers.length}`, p);
      layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest, size, annotations: { 'kscape.path': p, 'kscape.index': String(layers.length) } });
    }
    const platform: Platform = config.os && config.architecture ? { os: config.os, architecture: config.architecture, variant: config.variant } : DEFAULT_PLATFORM;
    const manifest: ImageManifest = { mediaType: MEDIA.dockerManifest, config: { mediaType: MEDIA.dockerConfig, digest: configDigest, size: cfgBytes.length }, layers };
    return { reference: this.ref.canonical, digest: configDigest, manifestDigest: configDigest, manifest, config, configDigest, platform };
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const p = desc.annotations?.['kscape.path'];
    if (!p) throw new InvalidInputError('docker-archive: descriptor without member path');
    const s = this.store.stream(p);
    // Modern archives name layers by their sha256 (blobs/sha256/<hex>); verify those. Legacy
    // <id>/layer.tar names are not content digests, so only size is bounded there.
    if (/^blobs\/sha256\/[a-f0-9]{64}$/.test(p) || /^[a-f0-9]{64}\.tar$/.test(p)) {
      const v = new VerifyingStream(desc.digest, desc.size, `layer ${p}`);
      s.on('error', (e) => v.destroy(e));
      return s.pipe(v);
    }
    return s;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
