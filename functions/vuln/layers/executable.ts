/**
 * One streaming pass over an executable's bytes for the binary catalogers, without spooling:
 *  - Go: the bytes after the buildinfo magic (`\xff Go buildinf:`), found by a plain search;
 *  - Rust (cargo-auditable): the `.dep-v0` ELF section. Section headers sit at the END of an ELF
 *    file, after the section data, so the chunks are held (references, no copies) while the file
 *    streams, up to `maxHoldBytes`; at the end the section table is parsed, the one section copied
 *    out, and the chunks released. Larger ELF files are not scanned for `.dep-v0`.
 * Non-ELF files are drained untouched.
 */
import type { Readable } from 'node:stream';

const GO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const DEP_SECTION = '.dep-v0';

export interface ExecutableScanLimits {
  /** Bytes kept after the Go buildinfo magic. */
  maxGoBuildInfoBytes: number;
  /** Largest ELF file whose section table is read (its bytes are held while it streams). */
  maxHoldBytes: number;
  /** Largest `.dep-v0` section kept (it is zlib-compressed JSON, normally a few KiB). */
  maxSectionBytes: number;
}

export interface ExecutableScan {
  goBuildInfo?: Buffer;
  /** Raw (still compressed) bytes of the cargo-auditable `.dep-v0` section. */
  rustDeps?: Buffer;
}

export async function scanExecutable(stream: Readable, limits: ExecutableScanLimits): Promise<ExecutableScan> {
  let first = true;
  let isElf = false;
  let tail: Buffer | undefined;
  let go: Buffer[] | undefined;
  let goLen = 0;
  let held: Buffer[] | undefined = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      isElf = chunk.length >= 4 && chunk[0] === 0x7f && chunk[1] === 0x45 && chunk[2] === 0x4c && chunk[3] === 0x46;
    }
    if (!isElf) continue; // drain
    total += chunk.length;
    if (held) {
      if (total <= limits.maxHoldBytes) held.push(chunk);
      else held = undefined;
    }
    if (go) {
      if (goLen < limits.maxGoBuildInfoBytes) {
        const part = chunk.subarray(0, limits.maxGoBuildInfoBytes - goLen);
        go.push(Buffer.from(part));
        goLen += part.length;
      }
      continue;
    }
    // Search the chunk itself, and separately the seam with the previous chunk's last bytes: no
    // per-chunk concatenation of whole chunks.
    let at = -1;
    let src = chunk;
    if (tail) {
      const seam = Buffer.concat([tail, chunk.subarray(0, GO_MAGIC.length - 1)]);
      const i = seam.indexOf(GO_MAGIC);
      if (i >= 0) {
        src = Buffer.concat([tail.subarray(i), chunk]);
        at = 0;
      }
    }
    if (at < 0) {
      at = chunk.indexOf(GO_MAGIC);
      src = chunk;
    }
    if (at >= 0) {
      const part = Buffer.from(src.subarray(at, at + limits.maxGoBuildInfoBytes));
      go = [part];
      goLen = part.length;
    } else tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - GO_MAGIC.length + 1)));
  }
  const out: ExecutableScan = {};
  if (go) out.goBuildInfo = Buffer.concat(go, goLen);
  if (isElf && held) out.rustDeps = elfSection(held, total, DEP_SECTION, limits.maxSectionBytes);
  return out;
}

/** Bytes [start, end) of a file held as consecutive chunks. */
function range(chunks: readonly Buffer[], start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let pos = 0;
  let n = 0;
  for (const c of chunks) {
    const cEnd = pos + c.length;
    if (cEnd > start && pos < end) {
      const from = Math.max(start, pos) - pos;
      const to = Math.min(end, cEnd) - pos;
      c.copy(out, n, from, to);
      n += to - from;
    }
    pos = cEnd;
    if (pos >= end) break;
  }
  return out;
}

/**
 * The content of the named section of an ELF file (32/64-bit, either byte order), or undefined.
 * Every offset and size comes from the file, so each is checked against the file length.
 */
export function elfSection(chunks: readonly Buffer[], total: number, name: string, maxBytes: number): Buffer | undefined {
  if (total < 64) return undefined;
  const h = range(chunks, 0, 64);
  const is64 = h[4] === 2;
  const le = h[5] === 1;
  if ((h[4] !== 1 && h[4] !== 2) || (h[5] !== 1 && h[5] !== 2)) return undefined;
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const shoff = is64 ? u64(h, 0x28) : u32(h, 0x20);
  const shentsize = u16(h, is64 ? 0x3a : 0x2e);
  const shnum = u16(h, is64 ? 0x3c : 0x30);
  const shstrndx = u16(h, is64 ? 0x3e : 0x32);
  const entMin = is64 ? 64 : 40;
  if (!shoff || shnum === 0 || shentsize < entMin || shstrndx >= shnum || shoff + shnum * shentsize > total) return undefined;
  const table = range(chunks, shoff, shoff + shnum * shentsize);
  const sec = (i: number): { name: number; offset: number; size: number; type: number } => {
    const o = i * shentsize;
    return is64
      ? { name: u32(table, o), type: u32(table, o + 4), offset: u64(table, o + 24), size: u64(table, o + 32) }
      : { name: u32(table, o), type: u32(table, o + 4), offset: u32(table, o + 16), size: u32(table, o + 20) };
  };
  const strtab = sec(shstrndx);
  if (strtab.offset + strtab.size > total || strtab.size > 16 * 1024 * 1024) return undefined;
  const names = range(chunks, strtab.offset, strtab.offset + strtab.size);
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (s.name >= names.length) continue;
    const end = names.indexOf(0, s.name);
    if (names.toString('latin1', s.name, end < 0 ? names.length : end) !== name) continue;
    // SHT_NOBITS (8) has no bytes in the file.
    if (s.type === 8 || s.size > maxBytes || s.offset + s.size > total) return undefined;
    return range(chunks, s.offset, s.offset + s.size);
  }
  return undefined;
}
