/**
 * Read-only walk of a Berkeley DB hash database (rpm's legacy `var/lib/rpm/Packages`), following
 * the on-disk format BDB documents in dbinc/db_page.h (and go-rpmdb reads the same way):
 *   page 0: hash metadata (magic 0x061561 at byte 12, page size at 20, last page at 32);
 *   hash pages (type 13, or 2 unsorted): 26-byte header, `entries` uint16 item offsets, items
 *     stored from the page end downwards, key/data alternating; an item's first byte is its type:
 *     1 = inline bytes, 3 = off-page: {pgno u32 at +4, total length u32 at +8};
 *   overflow pages (type 7): 26-byte header, `hf_offset` = bytes used, chained by next_pgno.
 * The byte order follows the magic. Every page number, offset and length is checked; overflow
 * chains are cycle-checked and size-capped. Values are returned without interpretation.
 */

export class BdbError extends Error {
  override name = 'BdbError';
}

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

export function* bdbHashValues(db: Buffer, maxValue = 64 * 1024 * 1024): Generator<Buffer> {
  if (db.length < 512) throw new BdbError('file too small for a Berkeley DB');
  let le: boolean;
  if (db.readUInt32LE(12) === HASH_MAGIC) le = true;
  else if (db.readUInt32BE(12) === HASH_MAGIC) le = false;
  else throw new BdbError('not a Berkeley DB hash database (bad magic)');
  const u32 = (o: number): number => (le ? db.readUInt32LE(o) : db.readUInt32BE(o));
  const u16 = (o: number): number => (le ? db.readUInt16LE(o) : db.readUInt16BE(o));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new BdbError(`bad page size ${pageSize}`);
  if (db[24] !== 0) throw new BdbError('encrypted Berkeley DB');
  const pages = Math.floor(db.length / pageSize);
  const lastPage = Math.min(u32(32), pages - 1);

  const overflow = (first: number, total: number): Buffer => {
    if (total > maxValue) throw new BdbError(`value of ${total} bytes exceeds the cap`);
    const out = Buffer.allocUnsafe(total);
    let got = 0;
    const seen = new Set<number>();
    for (let pg = first; pg !== 0 && got < total; ) {
      if (pg > lastPage || seen.has(pg)) throw new BdbError(`bad overflow chain at page ${pg}`);
      seen.add(pg);
      const base = pg * pageSize;
      if (db[base + 25] !== P_OVERFLOW) throw new BdbError(`page ${pg} is not an overflow page`);
      const used = u16(base + 22);
      if (used > pageSize - PAGE_HEADER || got + used > total) throw new BdbError(`overflow page ${pg} overruns`);
      db.copy(out, got, base + PAGE_HEADER, base + PAGE_HEADER + used);
      got += used;
      pg = u32(base + 16);
    }
    if (got !== total) throw new BdbError(`overflow chain short: ${got} of ${total} bytes`);
    return out;
  };

  for (let pg = 1; pg <= lastPage; pg++) {
    const base = pg * pageSize;
    const type = db[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) throw new BdbError(`page ${pg}: ${entries} entries do not fit`);
    // Data items are the odd indexes; an item ends where the previous index's item begins.
    for (let i = 1; i < entries; i += 2) {
      const off = u16(base + PAGE_HEADER + i * 2);
      const end = u16(base + PAGE_HEADER + (i - 1) * 2);
      if (off < PAGE_HEADER + entries * 2 || off >= pageSize || end > pageSize || end <= off) throw new BdbError(`page ${pg}: item ${i} out of bounds`);
      const item = base + off;
      if (db[item] === H_OFFPAGE) {
        if (off + 12 > pageSize) throw new BdbError(`page ${pg}: off-page item truncated`);
        yield overflow(u32(item + 4), u32(item + 8));
      } else if (db[item] === H_KEYDATA) yield db.subarray(item + 1, base + end);
    }
  }
}
