/**
 * rpm header blobs as rpmdb stores them (no lead, no `8e ad e8` header magic):
 *   int32 il (index entries), int32 dl (data bytes), il × {int32 tag, type, offset, count}, data.
 * All big-endian. Every count, offset and string is validated against the blob: image bytes are
 * hostile, and a bad header makes that one package unreadable, never the whole catalog.
 */

export class RpmHeaderError extends Error {
  override name = 'RpmHeaderError';
}

const T_INT16 = 3;
const T_INT32 = 4;
const T_STRING = 6;
const T_STRING_ARRAY = 8;
const T_I18NSTRING = 9;

// rpm's own sanity limits (lib/header.c: hdrchkTags / hdrchkData).
const MAX_TAGS = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;
/** Strings in one array tag; a file list of a huge package stays far below. */
const MAX_ARRAY = 2_000_000;

export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  OLDFILENAMES: 1027,
  FILEMODES: 1030,
  ARCH: 1022,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

interface Entry {
  type: number;
  offset: number;
  count: number;
}

export class RpmHeader {
  private readonly entries = new Map<number, Entry>();
  private readonly data: Buffer;

  constructor(blob: Buffer) {
    if (blob.length < 8) throw new RpmHeaderError('header shorter than its preamble');
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il < 1 || il > MAX_TAGS) throw new RpmHeaderError(`bad index count ${il}`);
    if (dl > MAX_DATA) throw new RpmHeaderError(`bad data length ${dl}`);
    const start = 8 + il * 16;
    if (blob.length < start + dl) throw new RpmHeaderError(`header truncated (${blob.length} < ${start + dl})`);
    this.data = blob.subarray(start, start + dl);
    for (let i = 0; i < il; i++) {
      const o = 8 + i * 16;
      const tag = blob.readUInt32BE(o);
      const e = { type: blob.readUInt32BE(o + 4), offset: blob.readUInt32BE(o + 8), count: blob.readUInt32BE(o + 12) };
      if (e.offset > dl) throw new RpmHeaderError(`tag ${tag}: offset ${e.offset} outside data`);
      if (!this.entries.has(tag)) this.entries.set(tag, e);
    }
  }

  /** STRING / I18NSTRING (first translation) / first element of a STRING_ARRAY. */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e || (e.type !== T_STRING && e.type !== T_I18NSTRING && e.type !== T_STRING_ARRAY)) return undefined;
    return this.strings(e, 1)[0];
  }

  stringArray(tag: number): string[] | undefined {
    const e = this.entries.get(tag);
    if (!e || (e.type !== T_STRING_ARRAY && e.type !== T_STRING)) return undefined;
    return this.strings(e, e.type === T_STRING ? 1 : e.count);
  }

  int32Array(tag: number): number[] | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    const width = e.type === T_INT32 ? 4 : e.type === T_INT16 ? 2 : 0;
    if (!width) return undefined;
    if (e.count > MAX_ARRAY || e.offset + e.count * width > this.data.length) throw new RpmHeaderError(`tag ${tag}: ${e.count} integers overrun the data`);
    const out = new Array<number>(e.count);
    for (let i = 0; i < e.count; i++) out[i] = width === 4 ? this.data.readInt32BE(e.offset + i * 4) : this.data.readUInt16BE(e.offset + i * 2);
    return out;
  }

  int32(tag: number): number | undefined {
    return this.int32Array(tag)?.[0];
  }

  private strings(e: Entry, count: number): string[] {
    if (count > MAX_ARRAY) throw new RpmHeaderError(`${count} strings in one tag`);
    const out: string[] = [];
    let off = e.offset;
    for (let i = 0; i < count; i++) {
      const end = this.data.indexOf(0, off);
      if (end < 0) throw new RpmHeaderError('unterminated string');
      out.push(this.data.toString('utf8', off, end));
      off = end + 1;
    }
    return out;
  }
}

export interface RpmPackageInfo {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  modularityLabel?: string;
  /** Absolute paths of every file and directory the package owns. */
  files: string[];
  /** st_mode per file, parallel to `files` (directories are 0o040000). */
  modes: number[];
}

export function parseRpmHeader(blob: Buffer): RpmPackageInfo | undefined {
  const h = new RpmHeader(blob);
  const name = h.string(TAG.NAME);
  const version = h.string(TAG.VERSION);
  // gpg-pubkey pseudo-packages carry a name and version but no ARCH: not software.
  if (!name || version === undefined || name === 'gpg-pubkey') return undefined;
  let files: string[] = [];
  const base = h.stringArray(TAG.BASENAMES);
  if (base) {
    const dirs = h.stringArray(TAG.DIRNAMES) ?? [];
    const idx = h.int32Array(TAG.DIRINDEXES) ?? [];
    if (idx.length !== base.length) throw new RpmHeaderError('DIRINDEXES and BASENAMES differ in length');
    files = base.map((b, i) => {
      const d = dirs[idx[i]!];
      if (d === undefined) throw new RpmHeaderError(`dir index ${idx[i]} out of range`);
      return d + b;
    });
  } else files = h.stringArray(TAG.OLDFILENAMES) ?? [];
  const modes = h.int32Array(TAG.FILEMODES) ?? [];
  return {
    name,
    version,
    release: h.string(TAG.RELEASE) ?? '',
    epoch: h.int32(TAG.EPOCH),
    arch: h.string(TAG.ARCH),
    sourceRpm: h.string(TAG.SOURCERPM),
    license: h.string(TAG.LICENSE),
    vendor: h.string(TAG.VENDOR),
    modularityLabel: h.string(TAG.MODULARITYLABEL),
    files,
    modes: modes.map((m) => m & 0xffff),
  };
}
