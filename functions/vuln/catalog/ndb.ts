/**
 * rpm's "ndb" package database (`usr/lib/sysimage/rpm/Packages.db`, SUSE/openSUSE), read-only,
 * after rpm's lib/backend/ndb/rpmpkg.c (little-endian throughout):
 *   header  {magic 'RpmP', version 0, generation, slot pages, next index}  32 bytes at offset 0;
 *   slots   {magic 'Slot', package index, block offset, block count}    16 bytes each, filling the
 *           slot pages after the header; index 0 = free slot;
 *   blobs   {magic 'BlbS', package index, generation, length} + header blob (+ 12-byte tail),
 *           at block offset × 16.
 * Each slot and blob is checked against the file; a bad one ends the read with NdbError.
 */

export class NdbError extends Error {
  override name = 'NdbError';
}

const PAGE = 4096;
const HEADER_SIZE = 32;
const BLK = 16;
const magic = (s: string): number => Buffer.from(s, 'latin1').readUInt32LE(0);
const HEADER_MAGIC = magic('RpmP');
const SLOT_MAGIC = magic('Slot');
const BLOB_MAGIC = magic('BlbS');
/** rpm's own limit on slot pages (rpmpkg.c refuses more). */
const MAX_SLOT_PAGES = 2048;

export function isNdb(db: Buffer): boolean {
  return db.length >= HEADER_SIZE && db.readUInt32LE(0) === HEADER_MAGIC;
}

export function* ndbBlobs(db: Buffer, maxBlob = 64 * 1024 * 1024): Generator<Buffer> {
  if (!isNdb(db)) throw new NdbError('not an ndb Packages.db (bad magic)');
  if (db.readUInt32LE(4) !== 0) throw new NdbError(`unsupported ndb version ${db.readUInt32LE(4)}`);
  const pages = db.readUInt32LE(12);
  if (pages === 0 || pages > MAX_SLOT_PAGES || pages * PAGE > db.length) throw new NdbError(`bad slot page count ${pages}`);
  for (let o = HEADER_SIZE; o + 16 <= pages * PAGE; o += 16) {
    if (db.readUInt32LE(o) !== SLOT_MAGIC) throw new NdbError(`bad slot magic at ${o}`);
    const pkg = db.readUInt32LE(o + 4);
    if (pkg === 0) continue;
    const off = db.readUInt32LE(o + 8) * BLK;
    const blocks = db.readUInt32LE(o + 12);
    if (off < pages * PAGE || off + 16 > db.length || blocks * BLK > db.length - off) throw new NdbError(`slot for package ${pkg} points outside the file`);
    if (db.readUInt32LE(off) !== BLOB_MAGIC || db.readUInt32LE(off + 4) !== pkg) throw new NdbError(`bad blob header for package ${pkg}`);
    const len = db.readUInt32LE(off + 12);
    if (len > maxBlob || 16 + len > blocks * BLK) throw new NdbError(`blob of package ${pkg} overruns its ${blocks} blocks`);
    yield db.subarray(off + 16, off + 16 + len);
  }
}
